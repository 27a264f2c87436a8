"""Attachment of a route to each of its parentRefs (spec's NoMatchingParent -> ... order)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from reference_impl.controller.constants import GATEWAY_GROUP
from reference_impl.controller.gateway_view import GatewayView, namespace_labels
from reference_impl.controller.hostnames import route_hostnames_for_listener
from reference_impl.controller.listeners import ListenerEval
from reference_impl.controller.model import Key, Obj, Snapshot, key_of
from reference_impl.controller.selectors import selector_matches

if TYPE_CHECKING:
    from reference_impl.controller.listener_sets import ListenerSetView


@dataclasses.dataclass(frozen=True)
class ParentAttachment:
    """The Accepted outcome of one parentRef, with the listeners it attached to."""

    parent_ref: dict[str, Any]
    gateway: Key
    """The Gateway serving the parent (a ListenerSet's parent Gateway for a ListenerSet)."""
    reason: str
    message: str
    listener_hostnames: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    """Listener key (`ListenerEval.key`) -> the route's hostnames intersected with it ([] = any)."""

    @property
    def accepted(self) -> bool:
        return self.reason == "Accepted"


def normalized_parent_ref(route_namespace: str, ref: Mapping[str, Any]) -> dict[str, Any]:
    """The parentRef with group, kind and namespace filled in, as echoed in status."""
    result: dict[str, Any] = {
        "group": GATEWAY_GROUP if ref.get("group") is None else ref["group"],
        "kind": ref.get("kind") or "Gateway",
        "namespace": ref.get("namespace") or route_namespace,
        "name": ref.get("name") or "",
    }
    if ref.get("sectionName") is not None:
        result["sectionName"] = ref["sectionName"]
    if ref.get("port") is not None:
        result["port"] = ref["port"]
    return result


def attach_route(
    snapshot: Snapshot,
    route: Obj,
    route_kind: str,
    gateways: Mapping[Key, GatewayView],
    rule_problems: list[str | None],
    listener_sets: Mapping[Key, ListenerSetView] | None = None,
) -> list[ParentAttachment]:
    """One ParentAttachment per distinct parentRef naming a Gateway (or a ListenerSet of one)
    this controller serves."""
    route_namespace, _ = key_of(route)
    spec = route.get("spec") or {}
    hostnames = [str(h) for h in spec.get("hostnames") or ()]
    results: list[ParentAttachment] = []
    seen: list[dict[str, Any]] = []
    for raw in spec.get("parentRefs") or ():
        ref = normalized_parent_ref(route_namespace, raw)
        if ref in seen or ref["group"] != GATEWAY_GROUP:
            continue
        parent_key = (ref["namespace"], ref["name"])
        if ref["kind"] == "Gateway" and parent_key in gateways:
            # A Gateway parentRef reaches only the Gateway's own listeners, never its
            # ListenerSets' (GEP-1713).
            view = gateways[parent_key]
            scope = _Scope(view.key, view.key[0], view.listeners, "Gateway")
        elif ref["kind"] == "ListenerSet" and parent_key in (listener_sets or {}):
            listener_set = (listener_sets or {})[parent_key]
            if not listener_set.attached:
                seen.append(ref)
                results.append(
                    ParentAttachment(
                        ref,
                        listener_set.gateway,
                        "NoMatchingParent",
                        f"ListenerSet is not attached to its Gateway: {listener_set.message}",
                    )
                )
                continue
            scope = _Scope(
                listener_set.gateway, parent_key[0], listener_set.listeners, "ListenerSet"
            )
        else:
            continue
        seen.append(ref)
        results.append(
            _attach_one(snapshot, route_namespace, route_kind, hostnames, ref, scope, rule_problems)
        )
    return results


@dataclasses.dataclass(frozen=True)
class _Scope:
    """The listeners one parentRef can reach, and whose namespace `Same` means."""

    gateway: Key
    namespace: str
    listeners: Sequence[ListenerEval]
    kind: str


def _attach_one(
    snapshot: Snapshot,
    route_namespace: str,
    route_kind: str,
    hostnames: list[str],
    ref: dict[str, Any],
    scope: _Scope,
    rule_problems: list[str | None],
) -> ParentAttachment:
    section, port = ref.get("sectionName"), ref.get("port")
    relevant = [
        item
        for item in scope.listeners
        if (section is None or item.name == section) and (port is None or item.port == port)
    ]
    if not relevant:
        wanted = " ".join(
            part
            for part in (
                f"sectionName {section!r}" if section is not None else "",
                f"port {port}" if port is not None else "",
            )
            if part
        )
        return ParentAttachment(
            ref,
            scope.gateway,
            "NoMatchingParent",
            f"{scope.kind} has no listener matching {wanted}",
        )
    allowed = [
        item
        for item in relevant
        if _kind_allowed(item, route_kind)
        and _namespace_allowed(snapshot, item, scope.namespace, route_namespace)
    ]
    if not allowed:
        return ParentAttachment(
            ref,
            scope.gateway,
            "NotAllowedByListeners",
            f"No listener allows {route_kind} from namespace {route_namespace}",
        )
    hosts: dict[str, list[str]] = {}
    for item in allowed:
        seen_hosts = route_hostnames_for_listener(item.hostname, hostnames)
        if seen_hosts is not None:
            hosts[item.key] = seen_hosts
    if not hosts:
        return ParentAttachment(
            ref,
            scope.gateway,
            "NoMatchingListenerHostname",
            "No listener hostname intersects the route's hostnames",
        )
    if rule_problems and all(problem is not None for problem in rule_problems):
        return ParentAttachment(
            ref, scope.gateway, "UnsupportedValue", "; ".join(p for p in rule_problems if p)
        )
    return ParentAttachment(ref, scope.gateway, "Accepted", "Route is accepted", hosts)


def _kind_allowed(listener: ListenerEval, route_kind: str) -> bool:
    return any(
        k.get("kind") == route_kind and k.get("group") == GATEWAY_GROUP
        for k in listener.supported_kinds
    )


def _namespace_allowed(
    snapshot: Snapshot, listener: ListenerEval, gateway_namespace: str, route_namespace: str
) -> bool:
    namespaces = (listener.spec.get("allowedRoutes") or {}).get("namespaces") or {}
    source = namespaces.get("from") or "Same"
    if source == "All":
        return True
    if source == "Same":
        return route_namespace == gateway_namespace
    if source == "Selector":
        return selector_matches(
            namespaces.get("selector"), namespace_labels(snapshot, route_namespace)
        )
    return False
