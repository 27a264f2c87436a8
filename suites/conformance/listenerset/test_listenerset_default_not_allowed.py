"""ListenerSetDefaultNotAllowed: without allowedListeners a Gateway takes no ListenerSet."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.listener_set import ListenerSetHandle
from harness.conformance.scenario import GatewayHandle, scenario
from suites.conformance.listenerset.expectations import must_be_rejected


@scenario(
    "ListenerSetDefaultNotAllowed",
    features={"Gateway", "ListenerSet"},
    manifest="test_listenerset_default_not_allowed.yaml",
)
def test_listenerset_default_not_allowed(gateway: GatewayHandle) -> None:
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    parent = gateway.other("gateway-default-does-not-allow-listenerset")
    parent.must_have_condition("Accepted", "True")
    parent.must_have_attached_listener_sets(0)
    must_be_rejected(ListenerSetHandle.of(parent, "listenerset-default-not-allowed"), "NotAllowed")
