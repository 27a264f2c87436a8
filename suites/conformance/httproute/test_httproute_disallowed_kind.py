"""HTTPRouteDisallowedKind: a Gateway whose listeners admit only TLSRoutes rejects an
HTTPRoute with NotAllowedByListeners and counts no attached route."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.scenario import GatewayHandle, scenario


@scenario(
    "HTTPRouteDisallowedKind",
    features={"Gateway", "HTTPRoute", "TLSRoute"},
    manifest="test_httproute_disallowed_kind.yaml",
    gateway="tlsroutes-only",
)
def test_httproute_disallowed_kind(gateway: GatewayHandle) -> None:
    # The extra Gateway must be ready before its namespace is judged.
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    route = gateway.route("disallowed-kind")
    route.must_have_resolved_refs()
    route.must_have_condition("Accepted", "False", "NotAllowedByListeners")
    route.must_not_be_accepted()
    gateway.must_have_zero_routes()
