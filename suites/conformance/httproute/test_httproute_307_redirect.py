"""HTTPRoute307Redirect: RequestRedirect answers with status 307 (Temporary Redirect)."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRoute307Redirect",
    features={"Gateway", "HTTPRoute", "HTTPRoute307RedirectStatusCode"},
    manifest="test_httproute_307_redirect.yaml",
    provisional=True,
)
def test_httproute_307_redirect(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("307-redirect")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    # Scheme and path stay the request's; the port is absent or the scheme's default.
    traffic.request("/temporary", method="GET").must_redirect_to(status=307, path="/temporary")
