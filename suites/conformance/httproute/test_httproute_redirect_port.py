"""HTTPRouteRedirectPort: RequestRedirect puts the configured port into Location."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

# (request path, redirect status, Location host ("" = not checked))
CASES = [
    ("/port", 302, ""),
    ("/port-and-host", 302, "example.org"),
    ("/port-and-status", 301, ""),
    ("/port-and-host-and-status", 302, "example.org"),
]


@scenario(
    "HTTPRouteRedirectPort",
    features={"Gateway", "HTTPRoute", "HTTPRoutePortRedirect"},
    manifest="test_httproute_redirect_port.yaml",
)
def test_httproute_redirect_port(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("redirect-port")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    # Scheme and path stay the request's.
    for path, status, host in CASES:
        traffic.get(path).must_redirect_to(status=status, host=host, port="8083")
