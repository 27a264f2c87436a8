"""ListenerSetAllowedRoutesSupportedKinds: a kind the listener cannot serve is InvalidRouteKinds."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.listener_set import ListenerSetHandle
from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition


@scenario(
    "ListenerSetAllowedRoutesSupportedKinds",
    features={"Gateway", "ListenerSet", "TLSRoute"},
    manifest="test_listenerset_allowed_routes_supported_kinds.yaml",
)
def test_listenerset_allowed_routes_supported_kinds(gateway: GatewayHandle) -> None:
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    parent = gateway.other("gateway-with-listener-sets-test-supported-route-kinds")
    parent.must_have_condition("Accepted", "True")
    ListenerSetHandle.of(
        parent, "listenerset-test-allowed-routes-supported-kinds"
    ).listeners_must_have(
        Condition("ResolvedRefs", "False", "InvalidRouteKinds"),
        names=["listener-set-listener-allowed-routes-tls-only"],
    )
