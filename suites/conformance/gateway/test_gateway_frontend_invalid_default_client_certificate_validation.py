"""GatewayFrontendInvalidDefaultClientCertificateValidation: an unusable default CA takes the
HTTPS listener out of service and leaves the HTTP listener alone."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic
from harness.kube.status import Condition
from suites.conformance.gateway.client_certificates import client_tls, gateway_host

ALL_TRUE = (
    Condition("ResolvedRefs", "True"),
    Condition("Accepted", "True"),
    Condition("Programmed", "True"),
)
NO_VALID_CA = (
    Condition("ResolvedRefs", "False", "InvalidCACertificateRef"),
    Condition("Accepted", "False", "NoValidCACertificate"),
    Condition("Programmed", "False"),
)


@scenario(
    "GatewayFrontendInvalidDefaultClientCertificateValidation",
    features={"Gateway", "HTTPRoute", "GatewayFrontendClientCertificateValidation"},
    manifest="test_gateway_frontend_invalid_default_client_certificate_validation.yaml",
    gateway="invalid-default-client-validation-config",
)
def test_gateway_frontend_invalid_default_client_certificate_validation(
    gateway: GatewayHandle, traffic: Traffic
) -> None:
    host = gateway_host(gateway)

    gateway.listeners_must_have(*ALL_TRUE, names=["http"])
    http = traffic.at(f"{host}:80")
    http.get("/", host="example.org").must_be_served_by("infra-backend-v1")

    gateway.listeners_must_have(*NO_VALID_CA, names=["https"])
    https = traffic.at(f"{host}:443", tls=client_tls(gateway, "example.org", None))
    https.get("/", host="example.org").must_be_refused()
