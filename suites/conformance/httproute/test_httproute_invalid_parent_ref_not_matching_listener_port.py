"""HTTPRouteInvalidParentRefNotMatchingListenerPort: a parentRef port no listener has."""

from harness.conformance.scenario import GatewayHandle, scenario


@scenario(
    "HTTPRouteInvalidParentRefNotMatchingListenerPort",
    features={"Gateway", "HTTPRoute", "HTTPRouteDestinationPortMatching"},
    manifest="test_httproute_invalid_parent_ref_not_matching_listener_port.yaml",
)
def test_httproute_invalid_parent_ref_not_matching_listener_port(gateway: GatewayHandle) -> None:
    route = gateway.route("httproute-listener-not-matching-route-port")
    route.must_have_resolved_refs()
    route.must_have_condition("Accepted", "False", "NoMatchingParent")
    route.must_not_be_accepted()
    gateway.must_have_zero_routes()
