"""GatewayFrontendClientCertificateValidationInsecureFallback: with AllowInsecureFallback the
Gateway says so in its status and both ports serve clients with the matching certificate,
the other CA's certificate, or none."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic
from suites.conformance.gateway.client_certificates import (
    DEFAULT_CLIENT,
    PER_PORT_CLIENT,
    client_tls,
    gateway_host,
)

ROUTES = [
    "client-cert-validation-insecure-fallback-test",
    "client-cert-validation-insecure-fallback-test-no-hostname",
]
# (port, host and SNI, client certificates to try in order, backend)
PORTS = [
    (443, "example.org", (DEFAULT_CLIENT, PER_PORT_CLIENT, None), "infra-backend-v1"),
    (8443, "second-example.org", (PER_PORT_CLIENT, DEFAULT_CLIENT, None), "infra-backend-v2"),
]


@scenario(
    "GatewayFrontendClientCertificateValidationInsecureFallback",
    features={
        "Gateway",
        "HTTPRoute",
        "GatewayFrontendClientCertificateValidation",
        "GatewayFrontendClientCertificateValidationInsecureFallback",
    },
    manifest="test_gateway_frontend_client_certificate_validation_insecure_fallback.yaml",
    gateway="client-validation-insecure-fallback",
)
def test_gateway_frontend_client_certificate_validation_insecure_fallback(
    gateway: GatewayHandle, traffic: Traffic
) -> None:
    host = gateway_host(gateway)
    for name in ROUTES:
        route = gateway.route(name)
        route.must_be_accepted()
        route.must_have_resolved_refs()
    gateway.must_have_condition("InsecureFrontendValidationMode", "True", "ConfigurationChanged")
    for port, server_name, clients, backend in PORTS:
        for client in clients:
            https = traffic.at(f"{host}:{port}", tls=client_tls(gateway, server_name, client))
            https.get("/", host=server_name).must_be_served_by(backend)
