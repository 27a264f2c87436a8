"""HTTPRoute308Redirect: RequestRedirect answers with status 308 (Permanent Redirect)."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRoute308Redirect",
    features={"Gateway", "HTTPRoute", "HTTPRoute308RedirectStatusCode"},
    manifest="test_httproute_308_redirect.yaml",
    provisional=True,
)
def test_httproute_308_redirect(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("308-redirect")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    # Scheme and path stay the request's; the port is absent or the scheme's default.
    traffic.request("/permanent", method="GET").must_redirect_to(status=308, path="/permanent")
