"""HTTPRouteRequestMultipleMirrors: every request is copied to both mirror backends."""

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
    ("/multi-mirror", {}, {}, []),
    ("/multi-mirror-and-modify-request-headers", SENT, SEEN, ["X-Header-Remove"]),
]
MIRRORS = ["infra-backend-v2", "infra-backend-v3"]


@scenario(
    "HTTPRouteRequestMultipleMirrors",
    features={"Gateway", "HTTPRoute", "HTTPRouteRequestMirror", "HTTPRouteRequestMultipleMirrors"},
    manifest="test_httproute_request_multiple_mirrors.yaml",
)
def test_httproute_request_multiple_mirrors(
    gateway: GatewayHandle, traffic: Traffic, timeouts: TimeoutConfig
) -> None:
    gateway.route("request-multiple-mirrors").must_be_accepted()
    for path, sent, seen, absent in CASES:
        # A unique query makes the mirrors' log lines this test's alone.
        path = unique_path(path)
        traffic.get(path, headers=sent).must_be_served_by(
            "infra-backend-v1", request_headers=seen, absent_request_headers=absent
        )
        must_see_mirrored(gateway.api, gateway.namespace, MIRRORS, path, timeouts)
