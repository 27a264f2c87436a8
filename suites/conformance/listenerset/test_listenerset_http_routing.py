"""ListenerSetHTTPRouting: routes reach exactly the listeners of the parents they name."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.listener_set import ListenerSetHandle
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic
from harness.kube.status import ExpectedListener
from suites.conformance.listenerset.expectations import ACCEPTED_LISTENER, HTTP_ROUTE_KINDS

NS = "gateway-conformance-infra"
LS1 = "listener-set-http-routing-1"
LS2 = "listener-set-http-routing-2"
GW_HOSTS = ("gateway-listener-1.com", "gateway-listener-2.com")
LS1_HOSTS = (f"{LS1}-listener-1.com", f"{LS1}-listener-2.com")
LS2_HOSTS = (f"{LS2}-listener-1.com", f"{LS2}-listener-2.com")
ALL_HOSTS = GW_HOSTS + LS1_HOSTS + LS2_HOSTS
# Path -> (the hosts that serve it, the backend); every other host answers 404.
SERVED = {
    "/route": (ALL_HOSTS, "infra-backend-v1"),
    "/gateway-route": (GW_HOSTS, "infra-backend-v2"),
    "/gateway-section-route": (GW_HOSTS[:1], "infra-backend-v3"),
    f"/{LS1}-route": (LS1_HOSTS, "infra-backend-v2"),
    f"/{LS1}-section-route": (LS1_HOSTS[:1], "infra-backend-v3"),
    f"/{LS2}-route": (LS2_HOSTS, "infra-backend-v2"),
}


def _entry(name: str, attached: int) -> ExpectedListener:
    return ExpectedListener(name, attached, HTTP_ROUTE_KINDS, ACCEPTED_LISTENER)


@scenario(
    "ListenerSetHTTPRouting",
    features={"Gateway", "ListenerSet", "HTTPRoute"},
    manifest="test_listenerset_http_routing.yaml",
)
def test_listenerset_http_routing(gateway: GatewayHandle, traffic: Traffic) -> None:
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    parent = gateway.other("gateway-with-listener-sets-http-routing")
    address = parent.address()
    for route in ("attaches-to-all-listeners", "gateway-route", "gateway-section-route"):
        parent.route(route).must_be_accepted()
    parent.must_have_attached_listener_sets(2)

    first = ListenerSetHandle.of(parent, LS1)
    first.routes_must_be_accepted(
        (NS, "attaches-to-all-listeners"), (NS, f"{LS1}-route"), (NS, f"{LS1}-section-route")
    )
    first.must_have_listeners([_entry(f"{LS1}-listener-1", 3), _entry(f"{LS1}-listener-2", 2)])

    second = ListenerSetHandle.of(parent, LS2)
    second.routes_must_be_accepted((NS, "attaches-to-all-listeners"), (NS, f"{LS2}-route"))
    second.must_have_listeners([_entry(f"{LS2}-listener-1", 2), _entry(f"{LS2}-listener-2", 2)])

    at = traffic.at(address)
    for path, (hosts, backend) in SERVED.items():
        for host in ALL_HOSTS:
            request = at.get(path, host=host)
            if host in hosts:
                request.must_be_served_by(backend)
            else:
                request.must_get(404)
