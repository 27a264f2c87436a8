"""HTTPRouteRedirectHostAndStatus: RequestRedirect sets the host and the status code."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRouteRedirectHostAndStatus",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_redirect_host_and_status.yaml",
)
def test_httproute_redirect_host_and_status(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("redirect-host-and-status")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    # Scheme and path stay the request's; the port is absent or the scheme's default.
    traffic.get("/hostname-redirect").must_redirect_to(status=302, host="example.org")
    traffic.get("/host-and-status").must_redirect_to(status=301, host="example.org")
