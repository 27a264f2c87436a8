"""HTTPRouteInvalidNonExistentBackendRef: a missing Service is BackendNotFound and a 500."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRouteInvalidNonExistentBackendRef",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_invalid_non_existent_backend_ref.yaml",
)
def test_httproute_invalid_non_existent_backend_ref(
    gateway: GatewayHandle, traffic: Traffic
) -> None:
    route = gateway.route("invalid-nonexistent-backend-ref")
    route.must_be_accepted()
    route.must_have_condition("ResolvedRefs", "False", "BackendNotFound")
    traffic.get("/").must_get(500)
