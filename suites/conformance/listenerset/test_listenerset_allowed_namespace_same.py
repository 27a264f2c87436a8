"""ListenerSetAllowedNamespaceSame: only ListenerSets of the Gateway's namespace attach."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.listener_set import ListenerSetHandle
from harness.conformance.scenario import GatewayHandle, scenario
from suites.conformance.listenerset.expectations import (
    ACCEPTED_LISTENER,
    must_be_accepted,
    must_be_rejected,
)


@scenario(
    "ListenerSetAllowedNamespaceSame",
    features={"Gateway", "ListenerSet"},
    manifest="test_listenerset_allowed_namespace_same.yaml",
)
def test_listenerset_allowed_namespace_same(gateway: GatewayHandle) -> None:
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    parent = gateway.other("gateway-allows-listenerset-in-same-namespace")
    parent.must_have_condition("Accepted", "True")
    parent.must_have_attached_listener_sets(1)

    same = ListenerSetHandle.of(parent, "listenerset-in-same-namespace")
    must_be_accepted(same, "Accepted")
    same.listeners_must_have(*ACCEPTED_LISTENER, names=["listenerset-in-same-namespace-listener"])

    other = ListenerSetHandle.of(
        parent, "listenerset-in-different-namespace", "gateway-api-listenerset-not-allowed-ns"
    )
    must_be_rejected(other, "NotAllowed")
