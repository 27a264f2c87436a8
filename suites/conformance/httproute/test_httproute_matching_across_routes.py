"""HTTPRouteMatchingAcrossRoutes: precedence holds across two routes sharing a hostname."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

# (Host, path, request headers, Deployment that must answer)
CASES = [
    ("example.com", "/", {}, "infra-backend-v1"),
    ("example.com", "/example", {}, "infra-backend-v1"),
    ("example.net", "/example", {}, "infra-backend-v1"),
    ("example.com", "/example", {"Version": "one"}, "infra-backend-v1"),
    ("example.com", "/v2", {}, "infra-backend-v2"),
    ("example.net", "/v2", {}, "infra-backend-v1"),
    ("example.com", "/v2/example", {}, "infra-backend-v2"),
    ("example.com", "/", {"Version": "two"}, "infra-backend-v2"),
]


@scenario(
    "HTTPRouteMatchingAcrossRoutes",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_matching_across_routes.yaml",
)
def test_httproute_matching_across_routes(gateway: GatewayHandle, traffic: Traffic) -> None:
    for name in ("matching-part1", "matching-part2"):
        route = gateway.route(name)
        route.must_be_accepted()
        route.must_have_resolved_refs()
    for host, path, headers, backend in CASES:
        traffic.get(path, host=host, headers=headers).must_be_served_by(backend)
