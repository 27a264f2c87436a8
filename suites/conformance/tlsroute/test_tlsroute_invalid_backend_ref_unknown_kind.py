"""TLSRouteInvalidBackendRefUnknownKind: an unknown backend kind is InvalidKind; TLS is refused."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig
from suites.conformance.tlsroute.tls_checks import must_be_rejected


@scenario(
    "TLSRouteInvalidBackendRefUnknownKind",
    features={"Gateway", "TLSRoute"},
    manifest="test_tlsroute_invalid_backend_ref_unknown_kind.yaml",
    gateway="gateway-tlsroute-invalid-backend-ref-unknown-kind",
)
def test_tlsroute_invalid_backend_ref_unknown_kind(
    gateway: GatewayHandle, timeouts: TimeoutConfig
) -> None:
    route = gateway.route("invalid-backend-ref-unknown-kind", kind="TLSRoute")
    route.must_be_accepted()
    route.must_have_condition("ResolvedRefs", "False", "InvalidKind")
    must_be_rejected(gateway.address(), "example.com", timeouts)
