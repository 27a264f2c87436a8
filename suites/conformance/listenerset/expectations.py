"""Expectations shared by the ListenerSet scenarios (upstream's generate* helpers)."""

from __future__ import annotations

from harness.conformance.listener_set import ListenerSetHandle
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
