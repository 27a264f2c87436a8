"""HTTPRouteRedirectScheme: RequestRedirect puts the configured scheme into Location."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

# (request path, redirect status, Location host ("" = not checked))
CASES = [
    ("/scheme", 302, ""),
    ("/scheme-and-host", 302, "example.org"),
    ("/scheme-and-status", 301, ""),
    ("/scheme-and-host-and-status", 302, "example.org"),
]


@scenario(
    "HTTPRouteRedirectScheme",
    features={"Gateway", "HTTPRoute", "HTTPRouteSchemeRedirect"},
    manifest="test_httproute_redirect_scheme.yaml",
)
def test_httproute_redirect_scheme(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("redirect-scheme")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    # The path stays the request's; with no port configured Location carries none
    # (or 443, the https default), never the listener's port.
    for path, status, host in CASES:
        traffic.get(path).must_redirect_to(status=status, host=host, scheme="https")
