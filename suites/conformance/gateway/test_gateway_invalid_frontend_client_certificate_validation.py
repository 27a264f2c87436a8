"""GatewayInvalidFrontendClientCertificateValidation: each broken CA reference fails only the
listener on its port, with the reason of its fault."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition

NAME = "gateway-with-invalid-client-cert-validation"
VALID = (
    Condition("ResolvedRefs", "True"),
    Condition("Accepted", "True"),
    Condition("Programmed", "True"),
)
# listener -> ResolvedRefs reason for its port's only CA reference
BROKEN = {
    "https-unresolved": "InvalidCACertificateRef",
    "https-invalid-kind": "InvalidCACertificateKind",
    "https-grant-missing": "RefNotPermitted",
}


@scenario(
    "GatewayInvalidFrontendClientCertificateValidation",
    features={
        "Gateway",
        "HTTPRoute",
        "ReferenceGrant",
        "GatewayFrontendClientCertificateValidation",
    },
    manifest="test_gateway_invalid_frontend_client_certificate_validation.yaml",
    gateway=NAME,
)
def test_gateway_invalid_frontend_client_certificate_validation(gateway: GatewayHandle) -> None:
    gateway.listeners_must_have(*VALID, names=["https"])
    for listener, reason in BROKEN.items():
        gateway.listeners_must_have(
            Condition("ResolvedRefs", "False", reason),
            Condition("Accepted", "False", "NoValidCACertificate"),
            Condition("Programmed", "False"),
            names=[listener],
        )
