"""Route status.parents (every route kind): our entries rebuilt, other controllers' kept intact."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from reference_impl.controller.backends import resolve_backend
from reference_impl.controller.conditions import Condition, condition, merge_conditions
from reference_impl.controller.model import Obj, Snapshot, generation_of, key_of
from reference_impl.controller.route_attachment import ParentAttachment, normalized_parent_ref
from reference_impl.controller.route_rules import all_backend_refs, extension_refs

ROUTE_PARENT_CONDITION_TYPES = ("Accepted", "ResolvedRefs", "PartiallyInvalid")


@dataclasses.dataclass(frozen=True)
class RefsOutcome:
    """The route's ResolvedRefs condition inputs: first failing reason and all messages."""

    reason: str
    message: str

    @property
    def resolved(self) -> bool:
        return self.reason == "ResolvedRefs"


def resolve_route_refs(snapshot: Snapshot, route: Obj, route_kind: str) -> RefsOutcome:
    """ResolvedRefs over every backendRef, mirror target and ExtensionRef of every rule."""
    namespace, _ = key_of(route)
    failures: list[tuple[str, str]] = []
    for rule in (route.get("spec") or {}).get("rules") or ():
        for ref in all_backend_refs(rule):
            backend = resolve_backend(snapshot, route_kind, namespace, ref)
            if backend.reason is not None:
                failures.append((backend.reason, backend.message))
        for ext in extension_refs(rule):
            failures.append(
                (
                    "InvalidKind",
                    f"ExtensionRef filter {ext.get('group', '')}/{ext.get('kind', '')} "
                    f"{ext.get('name', '')} is not supported",
                )
            )
    if not failures:
        return RefsOutcome("ResolvedRefs", "All references are resolved")
    return RefsOutcome(failures[0][0], "; ".join(msg for _, msg in failures))


def parent_conditions(
    attachment: ParentAttachment,
    refs: RefsOutcome,
    rule_problems: Sequence[str | None],
    generation: int,
) -> list[Condition]:
    """Accepted, ResolvedRefs and (when rules were dropped) PartiallyInvalid for one parent."""
    result = [
        condition(
            "Accepted", attachment.accepted, attachment.reason, attachment.message, generation
        ),
        condition("ResolvedRefs", refs.resolved, refs.reason, refs.message, generation),
    ]
    dropped = [(i, p) for i, p in enumerate(rule_problems) if p is not None]
    if attachment.accepted and dropped:
        result.append(
            condition(
                "PartiallyInvalid",
                True,
                "UnsupportedValue",
                "Dropped Rule(s) " + "; ".join(f"{index}: {problem}" for index, problem in dropped),
                generation,
            )
        )
    return result


def route_status(
    snapshot: Snapshot,
    route: Obj,
    attachments: Sequence[ParentAttachment],
    refs: RefsOutcome,
    rule_problems: Sequence[str | None],
) -> dict[str, Any]:
    """The route's new status: foreign parents kept, ours rebuilt from the attachments."""
    old_status: Mapping[str, Any] = route.get("status") or {}
    old_parents: list[Obj] = list(old_status.get("parents") or [])
    namespace, _ = key_of(route)
    generation = generation_of(route)
    ours = snapshot.controller_name
    parents = [p for p in old_parents if p.get("controllerName") != ours]
    previous = {
        _ref_key(normalized_parent_ref(namespace, p.get("parentRef") or {})): p
        for p in old_parents
        if p.get("controllerName") == ours
    }
    for attachment in attachments:
        old = previous.get(_ref_key(attachment.parent_ref)) or {}
        parents.append(
            {
                "parentRef": attachment.parent_ref,
                "controllerName": ours,
                "conditions": merge_conditions(
                    old.get("conditions"),
                    parent_conditions(attachment, refs, rule_problems, generation),
                    ROUTE_PARENT_CONDITION_TYPES,
                    snapshot.now,
                ),
            }
        )
    status = dict(old_status)
    status["parents"] = parents
    return status


def _ref_key(ref: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(ref.get(k) for k in ("group", "kind", "namespace", "name", "sectionName", "port"))
