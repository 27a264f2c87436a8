"""HTTPRouteSimpleSameNamespace: a route attaches to a Gateway of its own namespace."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRouteSimpleSameNamespace",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_simple_same_namespace.yaml",
)
def test_httproute_simple_same_namespace(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("gateway-conformance-infra-test")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    traffic.get("/").must_be_served_by("infra-backend-v1")
