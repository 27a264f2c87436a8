"""HTTPRouteRedirectPortAndScheme: Location's scheme and port from listeners on 80, 8080, 443."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic, tls_for

HOST = "example.org"
HTTP_8080_GATEWAY = "same-namespace-with-http-listener-on-8080"
HTTPS_GATEWAY = "same-namespace-with-https-listener"

# (request path, Location scheme, Location port); a port of "" means absent or the
# scheme's well-known port (80/443), never another one.
FROM_PORT_80 = [
    ("/scheme-nil-and-port-nil", "http", ""),
    ("/scheme-nil-and-port-80", "http", ""),
    ("/scheme-nil-and-port-8080", "http", "8080"),
    ("/scheme-https-and-port-nil", "https", ""),
    ("/scheme-https-and-port-443", "https", ""),
    ("/scheme-https-and-port-8443", "https", "8443"),
]
FROM_PORT_8080 = [
    ("/scheme-nil-and-port-nil", "http", "8080"),
    ("/scheme-nil-and-port-80", "http", ""),
    ("/scheme-https-and-port-nil", "https", ""),
]
FROM_PORT_443 = [
    ("/scheme-nil-and-port-nil", "https", ""),
    ("/scheme-nil-and-port-443", "https", ""),
    ("/scheme-nil-and-port-8443", "https", "8443"),
    ("/scheme-http-and-port-nil", "http", ""),
    ("/scheme-http-and-port-80", "http", ""),
    ("/scheme-http-and-port-8080", "http", "8080"),
]


def must_redirect_all(
    traffic: Traffic, cases: list[tuple[str, str, str]], *, host: str = "", sni: str = ""
) -> None:
    for path, scheme, port in cases:
        traffic.get(path, host=host, sni=sni).must_redirect_to(
            status=302, scheme=scheme, host=HOST, port=port
        )


@scenario(
    "HTTPRouteRedirectPortAndScheme",
    features={"Gateway", "HTTPRoute", "HTTPRoutePortRedirect", "GatewayPort8080"},
    manifest="test_httproute_redirect_port_and_scheme.yaml",
)
def test_httproute_redirect_port_and_scheme(gateway: GatewayHandle, traffic: Traffic) -> None:
    on_8080 = gateway.other(HTTP_8080_GATEWAY)
    on_443 = gateway.other(HTTPS_GATEWAY)
    for parent, name in (
        (gateway, "http-route-for-listener-on-port-80"),
        (on_8080, "http-route-for-listener-on-port-8080"),
        (on_443, "http-route-for-listener-on-port-443"),
    ):
        route = parent.route(name)
        route.must_be_accepted()
        route.must_have_resolved_refs()

    must_redirect_all(traffic, FROM_PORT_80)
    must_redirect_all(traffic.at(on_8080.address()), FROM_PORT_8080)
    # The listener's own certificate is the trust anchor; its "*.org" covers example.org
    # because the framework checks names Go's way (upstream's client).
    tls = tls_for(
        gateway.api, HOST, secret="tls-validity-checks-certificate", namespace=gateway.namespace
    )
    https = traffic.at(on_443.address(), tls=tls)
    must_redirect_all(https, FROM_PORT_443, host=HOST, sni=HOST)
