"""ListenerSetDualParentRefIndependence: a Gateway and a ListenerSet parentRef are judged apart."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.listener_set import ListenerSetHandle
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic
from harness.kube.status import ExpectedListener
from suites.conformance.listenerset.expectations import ACCEPTED_LISTENER, HTTP_ROUTE_KINDS

NS = "gateway-conformance-infra"


@scenario(
    "ListenerSetDualParentRefIndependence",
    features={"Gateway", "ListenerSet", "HTTPRoute"},
    manifest="test_listenerset_dual_parentref_independence.yaml",
)
def test_listenerset_dual_parentref_independence(gateway: GatewayHandle, traffic: Traffic) -> None:
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    parent = gateway.other("gateway-dual-parentref")
    at = traffic.at(parent.address("gw-dual-parentref-listener"))
    parent.must_have_condition("Accepted", "True")
    parent.must_have_attached_listener_sets(1)
    listener_set = ListenerSetHandle.of(parent, "ls-dual-parentref")
    listener_set.must_have_listeners(
        [ExpectedListener("ls-dual-parentref-listener", 2, HTTP_ROUTE_KINDS, ACCEPTED_LISTENER)]
    )

    # Both parentRefs are accepted.
    parent.route("route-dual-parentref-both").must_have_condition("Accepted", "True")
    listener_set.route_must_have_condition((NS, "route-dual-parentref-both"), "Accepted", "True")
    at.get("/dualboth", host="gw-dual.com").must_be_served_by("infra-backend-v1")
    at.get("/dualboth", host="ls-dual.com").must_be_served_by("infra-backend-v1")

    # Only the ListenerSet parentRef is accepted.
    one = parent.route("route-dual-parentref-one")
    one.must_have_condition("Accepted", "False", "NoMatchingParent")
    listener_set.route_must_have_condition((NS, "route-dual-parentref-one"), "Accepted", "True")
    listener_set.routes_must_be_accepted((NS, "route-dual-parentref-one"))
    at.get("/dualone", host="ls-dual.com").must_be_served_by("infra-backend-v2")
    at.get("/dualone", host="gw-dual.com").must_get(404)
