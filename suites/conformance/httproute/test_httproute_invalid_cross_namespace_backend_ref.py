"""HTTPRouteInvalidCrossNamespaceBackendRef: no ReferenceGrant means RefNotPermitted, a 500."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRouteInvalidCrossNamespaceBackendRef",
    features={"Gateway", "HTTPRoute", "ReferenceGrant"},
    manifest="test_httproute_invalid_cross_namespace_backend_ref.yaml",
)
def test_httproute_invalid_cross_namespace_backend_ref(
    gateway: GatewayHandle, traffic: Traffic
) -> None:
    route = gateway.route("invalid-cross-namespace-backend-ref")
    route.must_be_accepted()
    route.must_have_condition("ResolvedRefs", "False", "RefNotPermitted")
    traffic.get("/").must_get(500)
