"""HTTPRoutePathMatchOrder: Exact before PathPrefix, longer prefixes before shorter ones."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

CASES = [
    ("/match/exact/one", "infra-backend-v3"),
    ("/match/exact", "infra-backend-v2"),
    ("/match", "infra-backend-v1"),
    ("/match/prefix/one/any", "infra-backend-v2"),
    ("/match/prefix/any", "infra-backend-v1"),
    ("/match/any", "infra-backend-v3"),
]


@scenario(
    "HTTPRoutePathMatchOrder",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_path_match_order.yaml",
)
def test_httproute_path_match_order(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("path-matching-order")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    for path, backend in CASES:
        traffic.get(path).must_be_served_by(backend)
