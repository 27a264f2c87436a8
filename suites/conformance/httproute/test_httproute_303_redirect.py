"""HTTPRoute303Redirect: RequestRedirect answers with status 303 (See Other)."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRoute303Redirect",
    features={"Gateway", "HTTPRoute", "HTTPRoute303RedirectStatusCode"},
    manifest="test_httproute_303_redirect.yaml",
    provisional=True,
)
def test_httproute_303_redirect(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("303-redirect")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    # Scheme and path stay the request's; the port is absent or the scheme's default.
    traffic.request("/see-other", method="POST").must_redirect_to(status=303, path="/see-other")
