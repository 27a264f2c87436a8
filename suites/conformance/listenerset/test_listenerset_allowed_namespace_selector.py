"""ListenerSetAllowedNamespaceSelector: only ListenerSets in selected namespaces attach."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.listener_set import ListenerSetHandle
from harness.conformance.scenario import GatewayHandle, scenario
from suites.conformance.listenerset.expectations import (
    ACCEPTED_LISTENER,
    must_be_accepted,
    must_be_rejected,
)


@scenario(
    "ListenerSetAllowedNamespaceSelector",
    features={"Gateway", "ListenerSet"},
    manifest="test_listenerset_allowed_namespace_selector.yaml",
)
def test_listenerset_allowed_namespace_selector(gateway: GatewayHandle) -> None:
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    parent = gateway.other("gateway-allows-listenerset-in-selected-namespace")
    parent.must_have_condition("Accepted", "True")
    parent.must_have_attached_listener_sets(1)

    selected = ListenerSetHandle.of(
        parent, "listenerset-in-selected-namespace", "gateway-api-listenerset-selector-allowed-ns"
    )
    must_be_accepted(selected, "Accepted")
    selected.listeners_must_have(
        *ACCEPTED_LISTENER, names=["listenerset-in-selected-namespace-listener"]
    )

    not_selected = ListenerSetHandle.of(
        parent,
        "listenerset-not-in-selected-namespace",
        "gateway-api-listenerset-selector-not-allowed-ns",
    )
    must_be_rejected(not_selected, "NotAllowed")
