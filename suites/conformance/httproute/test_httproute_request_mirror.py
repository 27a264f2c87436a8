"""HTTPRouteRequestMirror: requests reach infra-backend-v1 and a copy reaches infra-backend-v2."""

from harness.conformance.mirror import must_see_mirrored
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig
from harness.conformance.traffic import Traffic, unique_path

SENT = {"X-Header-Remove": "remove-val", "X-Header-Add-Append": "append-val-1"}
SEEN = {
    "X-Header-Add": "header-val-1",
    "X-Header-Add-Append": "append-val-1,header-val-2",
    "X-Header-Set": "set-overwrites-values",
}
# (path, headers sent, headers infra-backend-v1 must see, headers it must not see)
CASES: list[tuple[str, dict[str, str], dict[str, str], list[str]]] = [
    ("/mirror", {}, {}, []),
    ("/mirror-and-modify-headers", SENT, SEEN, ["X-Header-Remove"]),
]
MIRRORS = ["infra-backend-v2"]


@scenario(
    "HTTPRouteRequestMirror",
    features={"Gateway", "HTTPRoute", "HTTPRouteRequestMirror"},
    manifest="test_httproute_request_mirror.yaml",
)
def test_httproute_request_mirror(
    gateway: GatewayHandle, traffic: Traffic, timeouts: TimeoutConfig
) -> None:
    gateway.route("request-mirror").must_be_accepted()
    for path, sent, seen, absent in CASES:
        # A unique query makes the mirror's log line this test's alone.
        path = unique_path(path)
        traffic.get(path, headers=sent).must_be_served_by(
            "infra-backend-v1", request_headers=seen, absent_request_headers=absent
        )
        must_see_mirrored(gateway.api, gateway.namespace, MIRRORS, path, timeouts)
