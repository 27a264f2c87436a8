"""HTTPRouteInvalidParentRefNotMatchingSectionName: an unknown sectionName is NoMatchingParent."""

from harness.conformance.scenario import GatewayHandle, scenario


@scenario(
    "HTTPRouteInvalidParentRefNotMatchingSectionName",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_invalid_parent_ref_not_matching_section_name.yaml",
)
def test_httproute_invalid_parent_ref_not_matching_section_name(gateway: GatewayHandle) -> None:
    route = gateway.route("httproute-listener-not-matching-section-name")
    route.must_have_condition("Accepted", "False", "NoMatchingParent")
    route.must_not_be_accepted()
    gateway.must_have_zero_routes()
