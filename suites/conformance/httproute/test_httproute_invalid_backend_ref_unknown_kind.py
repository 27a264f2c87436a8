"""HTTPRouteInvalidBackendRefUnknownKind: an unknown backend kind is InvalidKind and a 500."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRouteInvalidBackendRefUnknownKind",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_invalid_backend_ref_unknown_kind.yaml",
)
def test_httproute_invalid_backend_ref_unknown_kind(
    gateway: GatewayHandle, traffic: Traffic
) -> None:
    route = gateway.route("invalid-backend-ref-unknown-kind")
    route.must_be_accepted()
    route.must_have_condition("ResolvedRefs", "False", "InvalidKind")
    traffic.get("/v2").must_get(500)
