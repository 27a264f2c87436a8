"""GatewayInvalidTLSConfiguration: every unusable certificateRef is InvalidCertificateRef."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition, ExpectedListener

GATEWAYS = [
    "gateway-certificate-nonexistent-secret",
    "gateway-certificate-unsupported-group",
    "gateway-certificate-unsupported-kind",
    "gateway-certificate-malformed-secret",
]
INVALID_CERTIFICATE = ExpectedListener(
    "https", 0, ("HTTPRoute",), (Condition("ResolvedRefs", "False", "InvalidCertificateRef"),)
)


@scenario(
    "GatewayInvalidTLSConfiguration",
    features={"Gateway"},
    manifest="test_gateway_invalid_tls_configuration.yaml",
)
def test_gateway_invalid_tls_configuration(gateway: GatewayHandle) -> None:
    for name in GATEWAYS:
        gateway.other(name).must_have_listeners([INVALID_CERTIFICATE])
