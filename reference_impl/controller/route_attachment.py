"""Attachment of a route to each of its parentRefs (spec's NoMatchingParent -> ... order)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from reference_impl.controller.constants import GATEWAY_GROUP
from reference_impl.controller.gateway_view import GatewayView, namespace_labels
from reference_impl.controller.hostnames import route_hostnames_for_listener
from reference_impl.controller.listeners import ListenerEval
from reference_impl.controller.model import Key, Obj, Snapshot, key_of
from reference_impl.controller.selectors import selector_matches


@dataclasses.dataclass(frozen=True)
class ParentAttachment:
    """The Accepted outcome of one parentRef, with the listeners it attached to."""

    parent_ref: dict[str, Any]
    gateway: Key
    reason: str
    message: str
    listener_hostnames: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    """Listener name -> the route's hostnames intersected with it ([] = any)."""

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
) -> list[ParentAttachment]:
    """One ParentAttachment per distinct parentRef that names a Gateway this controller serves."""
    route_namespace, _ = key_of(route)
    spec = route.get("spec") or {}
    hostnames = [str(h) for h in spec.get("hostnames") or ()]
    results: list[ParentAttachment] = []
    seen: list[dict[str, Any]] = []
    for raw in spec.get("parentRefs") or ():
        ref = normalized_parent_ref(route_namespace, raw)
        if ref in seen or ref["group"] != GATEWAY_GROUP or ref["kind"] != "Gateway":
            continue
        seen.append(ref)
        view = gateways.get((ref["namespace"], ref["name"]))
        if view is None:
            continue
        results.append(
            _attach_one(snapshot, route_namespace, route_kind, hostnames, ref, view, rule_problems)
        )
    return results


def _attach_one(
    snapshot: Snapshot,
    route_namespace: str,
    route_kind: str,
    hostnames: list[str],
    ref: dict[str, Any],
    view: GatewayView,
    rule_problems: list[str | None],
) -> ParentAttachment:
    section, port = ref.get("sectionName"), ref.get("port")
    relevant = [
        item
        for item in view.listeners
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
            ref, view.key, "NoMatchingParent", f"Gateway has no listener matching {wanted}"
        )
    allowed = [
        item
        for item in relevant
        if _kind_allowed(item, route_kind)
        and _namespace_allowed(snapshot, item, view.key[0], route_namespace)
    ]
    if not allowed:
        return ParentAttachment(
            ref,
            view.key,
            "NotAllowedByListeners",
            f"No listener allows {route_kind} from namespace {route_namespace}",
        )
    hosts: dict[str, list[str]] = {}
    for item in allowed:
        seen_hosts = route_hostnames_for_listener(item.hostname, hostnames)
        if seen_hosts is not None:
            hosts[item.name] = seen_hosts
    if not hosts:
        return ParentAttachment(
            ref,
            view.key,
            "NoMatchingListenerHostname",
            "No listener hostname intersects the route's hostnames",
        )
    if rule_problems and all(problem is not None for problem in rule_problems):
        return ParentAttachment(
            ref, view.key, "UnsupportedValue", "; ".join(p for p in rule_problems if p)
        )
    return ParentAttachment(ref, view.key, "Accepted", "Route is accepted", hosts)


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
