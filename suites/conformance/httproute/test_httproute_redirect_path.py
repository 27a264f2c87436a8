"""HTTPRouteRedirectPath: RequestRedirect rewrites the path (prefix or full) in Location."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

# (request path, redirect status, Location host ("" = not checked), Location path)
CASES = [
    ("/original-prefix/lemon", 302, "", "/replacement-prefix/lemon"),
    ("/full/path/original", 302, "", "/full-path-replacement"),
    ("/path-and-host", 302, "example.org", "/replacement-prefix"),
    ("/path-and-status", 301, "", "/replacement-prefix"),
    ("/full-path-and-host", 302, "example.org", "/replacement-full"),
    ("/full-path-and-status", 301, "", "/replacement-full"),
]


@scenario(
    "HTTPRouteRedirectPath",
    features={"Gateway", "HTTPRoute", "HTTPRoutePathRedirect"},
    manifest="test_httproute_redirect_path.yaml",
)
def test_httproute_redirect_path(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("redirect-path")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    # The scheme stays the request's; the port is absent or the scheme's default.
    for path, status, host, location_path in CASES:
        traffic.get(path).must_redirect_to(status=status, host=host, path=location_path)
