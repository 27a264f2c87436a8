"""ListenerSetAllowedNamespaceNone: allowedListeners from None rejects every ListenerSet."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.listener_set import ListenerSetHandle
from harness.conformance.scenario import GatewayHandle, scenario
from suites.conformance.listenerset.expectations import must_be_rejected


@scenario(
    "ListenerSetAllowedNamespaceNone",
    features={"Gateway", "ListenerSet"},
    manifest="test_listenerset_allowed_namespace_none.yaml",
)
def test_listenerset_allowed_namespace_none(gateway: GatewayHandle) -> None:
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    parent = gateway.other("gateway-does-not-allow-listenerset")
    parent.must_have_condition("Accepted", "True")
    parent.must_have_attached_listener_sets(0)
    must_be_rejected(ListenerSetHandle.of(parent, "listenerset-not-allowed"), "NotAllowed")
