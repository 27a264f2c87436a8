"""HTTPRouteInvalidParentRefSectionNameNotMatchingPort: sectionName and port disagree."""

from harness.conformance.scenario import GatewayHandle, scenario


@scenario(
    "HTTPRouteInvalidParentRefSectionNameNotMatchingPort",
    features={"Gateway", "HTTPRoute", "HTTPRouteParentRefPort"},
    manifest="test_httproute_invalid_parent_ref_section_name_not_matching_port.yaml",
    gateway="gateway-with-one-not-matching-port-and-section-name-route",
)
def test_httproute_invalid_parent_ref_section_name_not_matching_port(
    gateway: GatewayHandle,
) -> None:
    route = gateway.route("httproute-listener-section-name-not-matching-port")
    route.must_have_condition("Accepted", "False", "NoMatchingParent")
    route.must_not_be_accepted()
    gateway.must_have_zero_routes()
