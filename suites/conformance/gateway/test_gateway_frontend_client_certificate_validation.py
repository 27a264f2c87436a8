"""GatewayFrontendClientCertificateValidation: HTTPS listeners accept only client
certificates of their port's CA (the default one on 443, the per-port one on 8443)."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic
from suites.conformance.gateway.client_certificates import (
    DEFAULT_CLIENT,
    PER_PORT_CLIENT,
    client_tls,
    gateway_host,
)

ROUTES = [
    "client-certificate-validation-https-test",
    "client-certificate-validation-https-test-no-hostname",
]
# (port, host and SNI, the client certificate its CA signed, the other one, backend)
PORTS = [
    (443, "example.org", DEFAULT_CLIENT, PER_PORT_CLIENT, "infra-backend-v1"),
    (8443, "second-example.org", PER_PORT_CLIENT, DEFAULT_CLIENT, "infra-backend-v2"),
]


@scenario(
    "GatewayFrontendClientCertificateValidation",
    features={"Gateway", "HTTPRoute", "GatewayFrontendClientCertificateValidation"},
    manifest="test_gateway_frontend_client_certificate_validation.yaml",
    gateway="client-validation-default",
)
def test_gateway_frontend_client_certificate_validation(
    gateway: GatewayHandle, traffic: Traffic
) -> None:
    host = gateway_host(gateway)
    for name in ROUTES:
        route = gateway.route(name)
        route.must_be_accepted()
        route.must_have_resolved_refs()
    for port, server_name, trusted, other, backend in PORTS:
        address = f"{host}:{port}"
        accepted = traffic.at(address, tls=client_tls(gateway, server_name, trusted))
        accepted.get("/", host=server_name).must_be_served_by(backend)
        refused = traffic.at(address, tls=client_tls(gateway, server_name, other))
        refused.get("/", host=server_name).must_be_refused()
