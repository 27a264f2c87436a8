"""ListenerSetGatewayParentSectionNameNotFound: a Gateway parentRef cannot name a ListenerSet's
listener."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.listener_set import ListenerSetHandle
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

NS = "gateway-conformance-infra"


@scenario(
    "ListenerSetGatewayParentSectionNameNotFound",
    features={"Gateway", "ListenerSet", "HTTPRoute"},
    manifest="test_listenerset_gateway_parent_section_name_not_found.yaml",
)
def test_listenerset_gateway_parent_section_name_not_found(
    gateway: GatewayHandle, traffic: Traffic
) -> None:
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    parent = gateway.other("gateway-section-name")
    at = traffic.at(parent.address("gw-listener"))
    parent.must_have_condition("Accepted", "True")
    parent.must_have_attached_listener_sets(1)

    ListenerSetHandle.of(parent, "listenerset-section-name").routes_must_be_accepted(
        (NS, "route-via-listenerset")
    )
    parent.route("route-via-gateway").must_have_condition("Accepted", "False", "NoMatchingParent")
    at.get("/goodsection", host="ls-section-name.com").must_be_served_by("infra-backend-v1")
    at.get("/badsection", host="gw-section.com").must_get(404)
