"""HTTPRouteMatching: path prefixes (segment-aware) and header matches within one route."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

# (path, request headers, Deployment that must answer)
CASES = [
    ("/", {}, "infra-backend-v1"),
    ("/example", {}, "infra-backend-v1"),
    ("/", {"Version": "one"}, "infra-backend-v1"),
    ("/v2", {}, "infra-backend-v2"),
    ("/v2/example", {}, "infra-backend-v2"),
    ("/", {"Version": "two"}, "infra-backend-v2"),
    ("/v2/", {}, "infra-backend-v2"),
    ("/v2example", {}, "infra-backend-v1"),
    ("/foo/v2/example", {}, "infra-backend-v1"),
]


@scenario(
    "HTTPRouteMatching",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_matching.yaml",
)
def test_httproute_matching(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("matching")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    for path, headers, backend in CASES:
        traffic.get(path, headers=headers).must_be_served_by(backend)
