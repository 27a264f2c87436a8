"""ListenerSetRouteStatusScopedToParentRef: status.parents name exactly the declared parents."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.listener_set import ListenerSetHandle
from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition, ExpectedListener, ExpectedParent
from suites.conformance.httproute.route_status import route_must_have_parents
from suites.conformance.listenerset.expectations import ACCEPTED_LISTENER, HTTP_ROUTE_KINDS

NS = "gateway-conformance-infra"
ACCEPTED = (Condition("Accepted", "True"),)


@scenario(
    "ListenerSetRouteStatusScopedToParentRef",
    features={"Gateway", "ListenerSet", "HTTPRoute"},
    manifest="test_listenerset_route_status_scoped_to_parentref.yaml",
)
def test_listenerset_route_status_scoped_to_parentref(gateway: GatewayHandle) -> None:
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    parent = gateway.other("gateway-parentref")
    parent.must_have_condition("Accepted", "True")
    parent.must_have_attached_listener_sets(1)
    listener_set = ListenerSetHandle.of(parent, "listenerset-parentref")
    listener_set.must_have_listeners(
        [ExpectedListener("listenerset-parentref-listener", 1, HTTP_ROUTE_KINDS, ACCEPTED_LISTENER)]
    )

    parent.route("route-parentref-gwonly").must_have_condition("Accepted", "True")
    gateway_parent = ExpectedParent(
        name=parent.name,
        namespace=NS,
        controller_name=parent.controller_name,
        conditions=ACCEPTED,
    )
    route_must_have_parents(
        parent, "route-parentref-gwonly", [gateway_parent], namespace_required=True
    )

    listener_set.routes_must_be_accepted((NS, "route-parentref-lsonly"))
    route_must_have_parents(
        parent,
        "route-parentref-lsonly",
        [listener_set.parent(conditions=ACCEPTED)],
        namespace_required=True,
    )
