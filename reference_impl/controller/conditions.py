"""Conditions: building them and merging them into an existing list as the spec requires."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

Condition = dict[str, Any]


def condition(
    type_: str, status: bool | str, reason: str, message: str, generation: int
) -> Condition:
    """A metav1.Condition without lastTransitionTime (merge_conditions sets it)."""
    if isinstance(status, bool):
        status = "True" if status else "False"
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
    }


def merge_conditions(
    existing: Sequence[Condition] | None,
    desired: Iterable[Condition],
    managed_types: Iterable[str],
    now: str,
) -> list[Condition]:
    """Merge desired conditions into existing ones.

    Types outside ``managed_types`` (another controller's) stay as they are and where they are;
    managed types not desired any more are removed; lastTransitionTime is kept when the status
    of a type did not change and set to ``now`` otherwise.
    """
    managed = set(managed_types)
    wanted = {c["type"]: c for c in desired}
    old = {c.get("type"): c for c in existing or ()}
    result: list[Condition] = []
    placed: set[str] = set()
    for current in existing or ():
        ctype = str(current.get("type"))
        if ctype in wanted:
            result.append(_with_transition(wanted[ctype], old.get(ctype), now))
            placed.add(ctype)
        elif ctype not in managed:
            result.append(current)
    for ctype, cond in wanted.items():
        if ctype not in placed:
            result.append(_with_transition(cond, None, now))
    return result


def _with_transition(cond: Condition, previous: Condition | None, now: str) -> Condition:
    merged = dict(cond)
    if previous is not None and previous.get("status") == cond["status"]:
        merged["lastTransitionTime"] = previous.get("lastTransitionTime") or now
    else:
        merged["lastTransitionTime"] = now
    return merged


def find(conditions: Sequence[Condition] | None, type_: str) -> Condition | None:
    """The condition of that type, or None."""
    for cond in conditions or ():
        if cond.get("type") == type_:
            return cond
    return None
