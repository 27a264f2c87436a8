"""HTTPRouteHTTPSListener: HTTPS listeners terminate TLS and route by SNI and Host."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic, tls_for

# (SNI and Host, Deployment that must answer, or None for a 404)
CASES = [
    ("example.org", "infra-backend-v1"),
    ("unknown-example.org", None),
    ("second-example.org", "infra-backend-v2"),
]


@scenario(
    "HTTPRouteHTTPSListener",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_https_listener.yaml",
    gateway="same-namespace-with-https-listener",
)
def test_httproute_https_listener(gateway: GatewayHandle, traffic: Traffic) -> None:
    for name in ("httproute-https-test", "httproute-https-test-no-hostname"):
        route = gateway.route(name)
        route.must_be_accepted()
        route.must_have_resolved_refs()
    # The listener's self-signed certificate is the client's only trust anchor.
    tls = tls_for(gateway.api, "", secret="tls-validity-checks-certificate")
    https = traffic.at(traffic.address, tls=tls)
    for host, backend in CASES:
        request = https.get("/", host=host, sni=host)
        if backend is None:
            request.must_get(404)
        else:
            request.must_be_served_by(backend)
