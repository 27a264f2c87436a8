"""ListenerSets (GEP-1713): which Gateway takes them, the merged listener list, their status.

A ListenerSet adds listeners to a parent Gateway that opts in through
`spec.allowedListeners`. The merged list is validated as if it were one Gateway, with a
precedence the Gateway alone does not have: the parent's own listeners first, then
ListenerSets oldest first, then by `{namespace}/{name}`. A listener that conflicts with one
earlier in that order loses (Accepted=False, Programmed=False, Conflicted=True); listeners
conflicting inside one resource all lose, as inside a Gateway.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from reference_impl.controller.conditions import Condition, condition, merge_conditions
from reference_impl.controller.constants import GATEWAY_GROUP
from reference_impl.controller.features import DataPlaneSupport
from reference_impl.controller.gateway_status import gateway_accepted
from reference_impl.controller.gateway_view import GatewayView, namespace_labels
from reference_impl.controller.listeners import (
    LISTENER_CONDITION_TYPES,
    ListenerEval,
    evaluate_listener,
    mark_conflicts,
    protocol_label,
)
from reference_impl.controller.model import Key, Obj, Snapshot, generation_of, key_of
from reference_impl.controller.selectors import selector_matches

LISTENER_SET_CONDITION_TYPES = ("Accepted", "Programmed")
DETACHED_REASONS = frozenset({"NotAllowed", "ParentNotAccepted"})
"""Reasons for a ListenerSet its parent does not take: none of its listeners is served."""


@dataclasses.dataclass
class ListenerSetView:
    """One ListenerSet whose parent is a Gateway of ours, with its evaluated listeners."""

    key: Key
    listener_set: Obj
    gateway: Key
    reason: str
    """Accepted, ListenersNotValid, NotAllowed or ParentNotAccepted."""
    message: str
    listeners: list[ListenerEval]

    @property
    def attached(self) -> bool:
        """Taken by the parent: its listeners join the merged list (valid or not)."""
        return self.reason not in DETACHED_REASONS

    @property
    def accepted(self) -> bool:
        """Accepted=True: taken by the parent with at least one valid listener."""
        return self.attached and any(valid_entry(item) for item in self.listeners)

    def listener(self, name: str) -> ListenerEval | None:
        return next((item for item in self.listeners if item.name == name), None)


def valid_entry(item: ListenerEval) -> bool:
    """A listener entry that can serve: accepted, not conflicted, usable TLS and route kinds."""
    return item.programmed


def parent_gateway_key(listener_set: Obj) -> Key | None:
    """The (namespace, name) of the Gateway `spec.parentRef` names, None for other kinds."""
    namespace, _ = key_of(listener_set)
    ref = (listener_set.get("spec") or {}).get("parentRef") or {}
    group = GATEWAY_GROUP if ref.get("group") is None else ref.get("group")
    if group != GATEWAY_GROUP or (ref.get("kind") or "Gateway") != "Gateway":
        return None
    return (str(ref.get("namespace") or namespace), str(ref.get("name") or ""))


def listeners_allowed(snapshot: Snapshot, gateway: Obj, listener_set_namespace: str) -> bool:
    """`spec.allowedListeners.namespaces`: None (the default), Same, All or Selector."""
    namespaces = ((gateway.get("spec") or {}).get("allowedListeners") or {}).get("namespaces")
    source = (namespaces or {}).get("from") or "None"
    if source == "All":
        return True
    if source == "Same":
        return listener_set_namespace == key_of(gateway)[0]
    if source == "Selector":
        return selector_matches(
            (namespaces or {}).get("selector"),
            namespace_labels(snapshot, listener_set_namespace),
        )
    return False


def precedence(listener_set: Obj) -> tuple[str, str]:
    """Oldest first, then `{namespace}/{name}`."""
    created = str((listener_set.get("metadata") or {}).get("creationTimestamp") or "")
    return (created, "/".join(key_of(listener_set)))


def evaluate_listener_sets(
    snapshot: Snapshot, gateways: Mapping[Key, GatewayView]
) -> tuple[dict[Key, GatewayView], dict[Key, ListenerSetView]]:
    """Gateways with the listeners of the ListenerSets they take, and every ListenerSet of ours.

    ListenerSets whose parent is not a Gateway this controller serves are left out (another
    implementation, or nobody, writes their status).
    """
    views: dict[Key, ListenerSetView] = {}
    ordered = sorted(snapshot.listener_sets.values(), key=precedence)
    established: dict[Key, list[ListenerEval]] = {
        key: [item for item in view.listeners if item.accepted] for key, view in gateways.items()
    }
    attached: dict[Key, list[ListenerEval]] = {key: [] for key in gateways}
    for listener_set in ordered:
        parent = parent_gateway_key(listener_set)
        view = gateways.get(parent) if parent is not None else None
        if parent is None or view is None:
            continue
        key = key_of(listener_set)
        listeners = _evaluate_entries(snapshot, listener_set)
        reason, message = _attachment(snapshot, view, key[0])
        if reason not in DETACHED_REASONS:
            for item in listeners:
                if item.conflict_reason is None:
                    _conflict_with_earlier(item, established[parent], snapshot.data_plane)
            established[parent] += [item for item in listeners if item.accepted]
            attached[parent] += listeners
            if not any(valid_entry(item) for item in listeners):
                reason, message = "ListenersNotValid", "No listener of the ListenerSet is valid"
            elif not all(valid_entry(item) for item in listeners):
                invalid = [item.name for item in listeners if not valid_entry(item)]
                reason, message = "ListenersNotValid", f"Listeners not valid: {', '.join(invalid)}"
        views[key] = ListenerSetView(key, listener_set, parent, reason, message, listeners)
    merged = {
        key: dataclasses.replace(view, attached_listeners=attached[key]) if attached[key] else view
        for key, view in gateways.items()
    }
    return merged, views


def _evaluate_entries(snapshot: Snapshot, listener_set: Obj) -> list[ListenerEval]:
    namespace, name = key_of(listener_set)
    listeners = [
        evaluate_listener(snapshot, namespace, spec, "ListenerSet")
        for spec in (listener_set.get("spec") or {}).get("listeners") or ()
    ]
    for item in listeners:
        item.owner = f"{namespace}/{name}"
    mark_conflicts(listeners, snapshot.data_plane)
    return listeners


def _attachment(snapshot: Snapshot, view: GatewayView, namespace: str) -> tuple[str, str]:
    """Whether the parent takes a ListenerSet from `namespace`, before its listeners count."""
    gateway = view.gateway
    if not listeners_allowed(snapshot, gateway, namespace):
        return (
            "NotAllowed",
            f"Gateway {view.key[0]}/{view.key[1]} does not allow ListenerSets from "
            f"namespace {namespace} (spec.allowedListeners)",
        )
    if gateway_accepted(view, generation_of(gateway))["status"] != "True":
        return "ParentNotAccepted", f"Gateway {view.key[0]}/{view.key[1]} is not accepted"
    return "Accepted", "ListenerSet is accepted"


def _conflict_with_earlier(
    item: ListenerEval, earlier: list[ListenerEval], support: DataPlaneSupport
) -> None:
    """Mark `item` conflicted when a listener earlier in precedence holds its port/hostname."""
    for other in earlier:
        if other.port != item.port:
            continue
        if protocol_label(other, support) != protocol_label(item, support):
            item.conflict_reason = "ProtocolConflict"
            item.conflict_message = (
                f"Port {item.port} is already used with protocol {protocol_label(other, support)} "
                f"by listener {other.key}, which takes precedence"
            )
            # As inside a Gateway: a listener that cannot be served admits no route kind.
            item.supported_kinds = []
            return
        if (other.hostname or "").lower() == (item.hostname or "").lower():
            item.conflict_reason = "HostnameConflict"
            item.conflict_message = (
                f"Port {item.port} with hostname {item.hostname or '(any)'} is already used "
                f"by listener {other.key}, which takes precedence"
            )
            return


def listener_set_status(
    snapshot: Snapshot,
    view: ListenerSetView,
    attached_routes: Mapping[str, int],
    parent_programmed: bool,
) -> dict[str, Any]:
    """The ListenerSet's new status: Accepted, Programmed and one entry per listener."""
    obj = view.listener_set
    generation = generation_of(obj)
    old: Mapping[str, Any] = obj.get("status") or {}
    accepted = condition("Accepted", view.accepted, view.reason, view.message, generation)
    programmed = _programmed(view, parent_programmed, generation)
    old_entries = {entry.get("name"): entry for entry in old.get("listeners") or ()}
    entries = []
    for item in view.listeners:
        previous = old_entries.get(item.name) or {}
        entries.append(
            {
                "name": item.name,
                "supportedKinds": item.supported_kinds,
                "attachedRoutes": attached_routes.get(item.key, 0),
                "conditions": merge_conditions(
                    previous.get("conditions"),
                    _entry_conditions(view, item, generation),
                    LISTENER_CONDITION_TYPES,
                    snapshot.now,
                ),
            }
        )
    status = dict(old)
    status["conditions"] = merge_conditions(
        old.get("conditions"), [accepted, programmed], LISTENER_SET_CONDITION_TYPES, snapshot.now
    )
    status["listeners"] = entries
    return status


def _programmed(view: ListenerSetView, parent_programmed: bool, generation: int) -> Condition:
    # Upstream conformance expects the rejection reason mirrored on Programmed (gateway-api#4561).
    if not view.accepted:
        return condition("Programmed", False, view.reason, view.message, generation)
    if not parent_programmed:
        return condition(
            "Programmed",
            False,
            "ParentNotProgrammed",
            "The parent Gateway is not programmed",
            generation,
        )
    return condition("Programmed", True, "Programmed", "ListenerSet is programmed", generation)


def _entry_conditions(
    view: ListenerSetView, item: ListenerEval, generation: int
) -> list[Condition]:
    if view.attached:
        return item.conditions(generation)
    # The parent does not take the ListenerSet: no entry is served, whatever its own merits.
    own = {c["type"]: c for c in item.conditions(generation)}
    return [
        condition("Accepted", False, view.reason, view.message, generation),
        condition("Programmed", False, view.reason, view.message, generation),
        own["ResolvedRefs"],
    ]


def attached_listener_sets(views: Mapping[Key, ListenerSetView]) -> dict[Key, int]:
    """Gateway.status.attachedListenerSets: ListenerSets with Accepted=True, per Gateway."""
    counts: dict[Key, int] = {}
    for view in views.values():
        if view.accepted:
            counts[view.gateway] = counts.get(view.gateway, 0) + 1
    return counts
