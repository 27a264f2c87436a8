"""Expectations shared by the ListenerSet scenarios (upstream's generate* helpers)."""

from __future__ import annotations

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.listener_set import ListenerSetHandle
from harness.conformance.scenario import GatewayHandle
from harness.kube.status import Condition

ACCEPTED_LISTENER = (
    Condition("ResolvedRefs", "True"),
    Condition("Accepted", "True"),
    Condition("Programmed", "True"),
)
HTTP_ROUTE_KINDS = ("HTTPRoute",)


def conflicted(reason: str) -> tuple[Condition, ...]:
    """A listener that lost a conflict: not accepted, not programmed, conflicted, one reason."""
    return (
        Condition("Accepted", "False", reason),
        Condition("Programmed", "False", reason),
        Condition("Conflicted", "True", reason),
    )


def must_be_rejected(listener_set: ListenerSetHandle, reason: str) -> None:
    """Accepted=False and Programmed=False, both with `reason`."""
    listener_set.must_have_condition("Accepted", "False", reason)
    listener_set.must_have_condition("Programmed", "False", reason)


def must_be_accepted(listener_set: ListenerSetHandle, accepted_reason: str = "") -> None:
    """Accepted=True (any reason unless given) and Programmed=True/Programmed."""
    listener_set.must_have_condition("Accepted", "True", accepted_reason)
    listener_set.must_have_condition("Programmed", "True", "Programmed")


def conflicts_must_follow_precedence(gateway: GatewayHandle, kind: str) -> None:
    """The Gateway's listener beats ListenerSets', older ListenerSets beat younger ones; the
    losers are conflicted with `<Kind>Conflict`. `kind` is "hostname" or "protocol", as the
    objects of both manifests are named."""
    lost = conflicted(f"{kind.capitalize()}Conflict")
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    parent = gateway.other(f"gateway-with-listenerset-{kind}-conflict")
    parent.must_have_condition("Accepted", "True")
    parent.listeners_must_have(*ACCEPTED_LISTENER, names=["gateway-listener"])
    # The Gateway's own listener comes first in precedence, so it wins.
    parent.listeners_must_have(*ACCEPTED_LISTENER, names=[f"{kind}-conflict-with-gateway-listener"])
    # Only the ListenerSets left with a valid listener count as attached.
    parent.must_have_attached_listener_sets(2)

    first = ListenerSetHandle.of(parent, f"listenerset-with-{kind}-conflict-with-gateway-1")
    must_be_accepted(first)
    first.listeners_must_have(*ACCEPTED_LISTENER, names=["listener-set-1-listener"])
    first.listeners_must_have(*lost, names=[f"{kind}-conflict-with-gateway-listener"])
    # Older than the ListenerSets it conflicts with: its listener wins.
    first.listeners_must_have(
        *ACCEPTED_LISTENER, names=[f"{kind}-conflict-with-listener-set-listener"]
    )

    only_loser = ListenerSetHandle.of(parent, f"listenerset-with-{kind}-conflict-with-gateway-2")
    must_be_rejected(only_loser, "ListenersNotValid")
    only_loser.listeners_must_have(*lost, names=[f"{kind}-conflict-with-gateway-listener"])

    second = ListenerSetHandle.of(parent, f"listenerset-with-{kind}-conflict-with-listener-set-1")
    must_be_accepted(second)
    second.listeners_must_have(*ACCEPTED_LISTENER, names=["listener-set-2-listener"])
    second.listeners_must_have(*lost, names=[f"{kind}-conflict-with-listener-set-listener"])

    last = ListenerSetHandle.of(parent, f"listenerset-with-{kind}-conflict-with-listener-set-2")
    must_be_rejected(last, "ListenersNotValid")
    last.listeners_must_have(*lost, names=[f"{kind}-conflict-with-listener-set-listener"])
