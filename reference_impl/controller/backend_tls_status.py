"""BackendTLSPolicy status.ancestors: one entry per Gateway of ours whose routes use a target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reference_impl.controller.backend_tls import PolicyEval
from reference_impl.controller.conditions import condition, merge_conditions
from reference_impl.controller.constants import GATEWAY_GROUP
from reference_impl.controller.model import Key, Obj, Snapshot, generation_of

POLICY_CONDITION_TYPES = ("Accepted", "ResolvedRefs")
MAX_ANCESTORS = 16
"""The CRD's limit on status.ancestors."""


def ancestor_ref(gateway: Key) -> dict[str, str]:
    """The ancestorRef naming a Gateway."""
    return {"group": GATEWAY_GROUP, "kind": "Gateway", "namespace": gateway[0], "name": gateway[1]}


def backend_tls_policy_status(
    snapshot: Snapshot, policy: Obj, evaluation: PolicyEval, ancestors: Sequence[Key]
) -> dict[str, Any]:
    """The policy's new status: foreign ancestors kept, ours rebuilt for these Gateways."""
    old_status: Mapping[str, Any] = policy.get("status") or {}
    old_entries: list[Obj] = list(old_status.get("ancestors") or [])
    ours = snapshot.controller_name
    entries = [e for e in old_entries if e.get("controllerName") != ours]
    previous = {
        _ref_key(e.get("ancestorRef") or {}): e
        for e in old_entries
        if e.get("controllerName") == ours
    }
    generation = generation_of(policy)
    desired = [
        condition(
            "Accepted",
            evaluation.accepted,
            evaluation.accepted_reason,
            evaluation.accepted_message,
            generation,
        ),
        condition(
            "ResolvedRefs",
            evaluation.refs_reason == "ResolvedRefs",
            evaluation.refs_reason,
            evaluation.refs_message,
            generation,
        ),
    ]
    for gateway in sorted(ancestors)[: max(0, MAX_ANCESTORS - len(entries))]:
        ref = ancestor_ref(gateway)
        old = previous.get(_ref_key(ref)) or {}
        entries.append(
            {
                "ancestorRef": ref,
                "controllerName": ours,
                "conditions": merge_conditions(
                    old.get("conditions"), desired, POLICY_CONDITION_TYPES, snapshot.now
                ),
            }
        )
    status = dict(old_status)
    status["ancestors"] = entries
    return status


def has_our_ancestors(snapshot: Snapshot, policy: Obj) -> bool:
    """Whether the policy still holds entries of ours (they must be cleaned up)."""
    return any(
        e.get("controllerName") == snapshot.controller_name
        for e in (policy.get("status") or {}).get("ancestors") or ()
    )


def _ref_key(ref: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        ref.get("group") if ref.get("group") is not None else GATEWAY_GROUP,
        ref.get("kind") or "Gateway",
        ref.get("namespace") or "",
        ref.get("name") or "",
    )
