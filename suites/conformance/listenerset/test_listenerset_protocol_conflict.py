"""ListenerSetProtocolConflict: the earlier listener wins a protocol conflict."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.listener_set import ListenerSetHandle
from harness.conformance.scenario import GatewayHandle, scenario
from suites.conformance.listenerset.expectations import (
    ACCEPTED_LISTENER,
    conflicted,
    must_be_accepted,
    must_be_rejected,
)

LOST = conflicted("ProtocolConflict")


@scenario(
    "ListenerSetProtocolConflict",
    features={"Gateway", "ListenerSet"},
    manifest="test_listenerset_protocol_conflict.yaml",
)
def test_listenerset_protocol_conflict(gateway: GatewayHandle) -> None:
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    parent = gateway.other("gateway-with-listenerset-protocol-conflict")
    parent.must_have_condition("Accepted", "True")
    parent.listeners_must_have(*ACCEPTED_LISTENER, names=["gateway-listener"])
    # The Gateway's own listener comes first in precedence, so it wins.
    parent.listeners_must_have(
        *ACCEPTED_LISTENER, names=["protocol-conflict-with-gateway-listener"]
    )
    # Only the ListenerSets left with a valid listener count as attached.
    parent.must_have_attached_listener_sets(2)

    first = ListenerSetHandle.of(parent, "listenerset-with-protocol-conflict-with-gateway-1")
    must_be_accepted(first)
    first.listeners_must_have(*ACCEPTED_LISTENER, names=["listener-set-1-listener"])
    first.listeners_must_have(*LOST, names=["protocol-conflict-with-gateway-listener"])
    # Older than the ListenerSets it conflicts with: its listener wins.
    first.listeners_must_have(
        *ACCEPTED_LISTENER, names=["protocol-conflict-with-listener-set-listener"]
    )

    only_loser = ListenerSetHandle.of(parent, "listenerset-with-protocol-conflict-with-gateway-2")
    must_be_rejected(only_loser, "ListenersNotValid")
    only_loser.listeners_must_have(*LOST, names=["protocol-conflict-with-gateway-listener"])

    second = ListenerSetHandle.of(parent, "listenerset-with-protocol-conflict-with-listener-set-1")
    must_be_accepted(second)
    second.listeners_must_have(*ACCEPTED_LISTENER, names=["listener-set-2-listener"])
    second.listeners_must_have(*LOST, names=["protocol-conflict-with-listener-set-listener"])

    last = ListenerSetHandle.of(parent, "listenerset-with-protocol-conflict-with-listener-set-2")
    must_be_rejected(last, "ListenersNotValid")
    last.listeners_must_have(*LOST, names=["protocol-conflict-with-listener-set-listener"])
