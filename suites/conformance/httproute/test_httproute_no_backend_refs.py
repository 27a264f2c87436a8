"""HTTPRouteNoBackendRefs: a rule without backends answers 500 instead of forwarding."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRouteNoBackendRefs",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_no_backend_refs.yaml",
)
def test_httproute_no_backend_refs(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("omitted-backendrefs")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    traffic.get("/forward").must_be_served_by("infra-backend-v1")
    traffic.get("/omitted-no-forward").must_get(500)
    traffic.get("/empty-no-forward").must_get(500)
