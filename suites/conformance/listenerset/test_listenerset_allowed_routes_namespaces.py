"""ListenerSetAllowedRoutesNamespaces: allowedRoutes of ListenerSet listeners, Same = its own."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.listener_set import ListenerSetHandle
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic
from harness.kube.status import ExpectedListener
from suites.conformance.listenerset.expectations import ACCEPTED_LISTENER, HTTP_ROUTE_KINDS

NS = "gateway-conformance-infra"
SELECTED_NS = "gateway-api-routes-allowed-ns"
OTHER_NS = "gateway-api-routes-not-allowed-ns"
CROSS_NS = "gateway-api-ls-cross-ns"
PATHS = (
    "/route-in-same-namespace",
    "/route-in-selected-namespace",
    "/route-not-in-selected-namespace",
)
BACKENDS = dict(
    zip(PATHS, ("infra-backend-v1", "infra-backend-v2", "infra-backend-v3"), strict=True)
)
# Listener hostname -> the paths it serves; the others answer 404 there.
SERVED_ON = {
    "listener-set-listener-allowed-routes-all.com": PATHS,
    "listener-set-listener-allowed-routes-same.com": PATHS[:1],
    "listener-set-listener-allowed-routes-selector.com": PATHS[1:2],
}


def _entry(name: str, attached: int) -> ExpectedListener:
    return ExpectedListener(name, attached, HTTP_ROUTE_KINDS, ACCEPTED_LISTENER)


@scenario(
    "ListenerSetAllowedRoutesNamespaces",
    features={"Gateway", "ListenerSet", "HTTPRoute", "ReferenceGrant"},
    manifest="test_listenerset_allowed_routes_namespaces.yaml",
)
def test_listenerset_allowed_routes_namespaces(gateway: GatewayHandle, traffic: Traffic) -> None:
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    parent = gateway.other("gateway-with-listener-sets-test-allowed-routes")
    at = traffic.at(parent.address("gateway-listener"))
    parent.must_have_condition("Accepted", "True")
    parent.must_have_attached_listener_sets(2)

    same_ns = ListenerSetHandle.of(parent, "listenerset-test-allowed-routes-namespaces")
    same_ns.routes_must_be_accepted(
        (NS, "route-in-same-namespace"),
        (SELECTED_NS, "route-in-selected-namespace"),
        (OTHER_NS, "route-not-in-selected-namespace"),
    )
    same_ns.must_have_listeners(
        [
            _entry("listener-set-listener-allowed-routes-all", 3),
            _entry("listener-set-listener-allowed-routes-same", 1),
            _entry("listener-set-listener-allowed-routes-selector", 1),
        ]
    )
    for host, served in SERVED_ON.items():
        for path in PATHS:
            request = at.get(path, host=host)
            if path in served:
                request.must_be_served_by(BACKENDS[path])
            else:
                request.must_get(404)

    cross_ns = ListenerSetHandle.of(parent, "listenerset-test-allowed-routes-cross-ns", CROSS_NS)
    cross_ns.routes_must_be_accepted((CROSS_NS, "route-in-listenerset-namespace"))
    cross_ns.route_must_have_condition(
        (NS, "route-in-gateway-namespace"), "Accepted", "False", "NotAllowedByListeners"
    )
    cross_ns.must_have_listeners([_entry("listener-set-listener-allowed-routes-cross-ns-same", 1)])
    host = "listener-set-listener-allowed-routes-cross-ns-same.com"
    at.get("/route-in-listenerset-namespace", host=host).must_be_served_by("infra-backend-v1")
    at.get("/route-in-gateway-namespace", host=host).must_get(404)
