"""TLSRouteInvalidBackendRefNonexistent: a missing backend is BackendNotFound; TLS is refused."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig
from suites.conformance.tlsroute.tls_checks import must_be_rejected


@scenario(
    "TLSRouteInvalidBackendRefNonexistent",
    features={"Gateway", "TLSRoute"},
    manifest="test_tlsroute_invalid_backend_ref_nonexistent.yaml",
    gateway="gateway-tlsroute-invalid-backend-ref-nonexistent",
)
def test_tlsroute_invalid_backend_ref_nonexistent(
    gateway: GatewayHandle, timeouts: TimeoutConfig
) -> None:
    route = gateway.route("invalid-backend-ref-nonexistent", kind="TLSRoute")
    route.must_be_accepted()
    route.must_have_condition("ResolvedRefs", "False", "BackendNotFound")
    must_be_rejected(gateway.address(), "example.com", timeouts)
