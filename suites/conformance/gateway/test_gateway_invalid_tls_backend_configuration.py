"""GatewayInvalidTLSBackendConfiguration: an unusable backend client certificate fails the
Gateway's ResolvedRefs with the reason of its fault, and the Gateway stays Accepted."""

from harness.conformance.scenario import GatewayHandle, scenario
from suites.conformance.gateway.latest_conditions import must_have_latest_conditions

# Gateway -> ResolvedRefs reason
CASES = {
    "gateway-client-certificate-nonexistent-secret": "InvalidClientCertificateRef",
    "gateway-client-certificate-unsupported-group": "InvalidClientCertificateRef",
    "gateway-client-certificate-unsupported-kind": "InvalidClientCertificateRef",
    "gateway-client-certificate-malformed-secret": "InvalidClientCertificateRef",
    "gateway-client-certificate-missing-reference-grant": "RefNotPermitted",
}


@scenario(
    "GatewayInvalidTLSBackendConfiguration",
    features={"Gateway", "GatewayBackendClientCertificate", "HTTPRoute", "BackendTLSPolicy"},
    manifest="test_gateway_invalid_tls_backend_configuration.yaml",
)
def test_gateway_invalid_tls_backend_configuration(gateway: GatewayHandle) -> None:
    for name, reason in CASES.items():
        must_have_latest_conditions(
            gateway.api, "Gateway", gateway.namespace, name, gateway.timeouts
        )
        other = gateway.other(name)
        other.must_have_condition("ResolvedRefs", "False", reason)
        other.must_have_condition("Accepted", "True", "Accepted")
