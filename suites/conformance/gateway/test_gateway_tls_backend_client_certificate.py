"""GatewayTLSBackendClientCertificate: the Gateway presents its spec.tls.backend client
certificate when it dials a backend with TLS under a BackendTLSPolicy."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic
from harness.kube.patch import read_secret
from suites.conformance.backendtlspolicy.policy_status import ACCEPTED, policy_must_have

NAME = "gateway-tls-backend-client-certificate"
POLICY = "gateway-tls-backend-client-certificate-test"
HOST = "abc.example.com"


@scenario(
    "GatewayTLSBackendClientCertificate",
    features={"Gateway", "GatewayBackendClientCertificate", "HTTPRoute", "BackendTLSPolicy"},
    manifest="test_gateway_tls_backend_client_certificate.yaml",
    gateway=NAME,
)
def test_gateway_tls_backend_client_certificate(gateway: GatewayHandle, traffic: Traffic) -> None:
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    route = gateway.route(NAME)
    route.must_be_accepted()
    route.must_have_resolved_refs()
    timeout = gateway.timeouts.HTTPRouteMustHaveCondition
    policy_must_have(gateway.api, POLICY, NAME, timeout, ACCEPTED)
    gateway.must_have_condition("ResolvedRefs", "True", "ResolvedRefs")

    client_cert = read_secret(gateway.api, gateway.namespace, "tls-checks-client-certificate")
    assert client_cert, "Secret tls-checks-client-certificate has no tls.crt"
    # The backend reports the SNI the Gateway sent and the certificates it presented.
    traffic.get("/", host=HOST).must_get(
        200, namespace=gateway.namespace, sni=HOST, client_cert_pem=client_cert
    )
