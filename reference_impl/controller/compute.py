"""compute(snapshot): every status, routing table and proxy object this controller wants.

Pure: no I/O, no clock (the snapshot carries `now`), so it is tested with plain dicts.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from typing import Any

from reference_impl.controller.constants import GATEWAY_KEY_LABEL
from reference_impl.controller.gateway_status import gateway_status
from reference_impl.controller.gateway_view import owned_gateways
from reference_impl.controller.gatewayclass import evaluate_gateway_class, is_owned_class
from reference_impl.controller.model import Key, Obj, Snapshot, key_of
from reference_impl.controller.naming import gateway_hash, proxy_name
from reference_impl.controller.provisioning import ProxyObjects, desired_proxy_objects
from reference_impl.controller.route_attachment import ParentAttachment, attach_route
from reference_impl.controller.route_rules import rule_problem
from reference_impl.controller.route_status import resolve_route_refs, route_status
from reference_impl.controller.translate import Table, routing_table

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ComputeResult:
    """Desired state. Statuses are full `status` objects; the runtime writes the changed ones."""

    gateway_class_statuses: dict[str, dict[str, Any]]
    gateway_statuses: dict[Key, dict[str, Any]]
    http_route_statuses: dict[Key, dict[str, Any]]
    routing_tables: dict[Key, Table]
    proxies: dict[Key, ProxyObjects]


def compute(snapshot: Snapshot, proxy_image: str) -> ComputeResult:
    """Evaluate classes, Gateways and routes; build statuses, tables and proxy objects."""
    class_statuses: dict[str, dict[str, Any]] = {}
    accepted_classes: set[str] = set()
    for name, gateway_class in sorted(snapshot.gateway_classes.items()):
        if not is_owned_class(snapshot, gateway_class):
            continue
        result = evaluate_gateway_class(snapshot, gateway_class)
        class_statuses[name] = result.status
        if result.accepted:
            accepted_classes.add(name)

    gateways = owned_gateways(snapshot, accepted_classes)
    route_results: list[tuple[Obj, list[ParentAttachment], list[str | None]]] = []
    route_statuses: dict[Key, dict[str, Any]] = {}
    attached: dict[Key, Counter[str]] = {key: Counter() for key in gateways}
    for key, route in sorted(snapshot.http_routes.items()):
        try:
            rules = (route.get("spec") or {}).get("rules") or []
            problems = [rule_problem(rule) for rule in rules]
            attachments = attach_route(snapshot, route, "HTTPRoute", gateways, problems)
            if not attachments and not _has_our_parents(snapshot, route):
                continue
            refs = resolve_route_refs(snapshot, route, "HTTPRoute")
            route_statuses[key] = route_status(snapshot, route, attachments, refs, problems)
        except Exception:  # one odd object must not stall every other one
            log.exception("HTTPRoute %s/%s skipped: it could not be evaluated", *key)
            continue
        route_results.append((route, attachments, problems))
        listeners_of_route: dict[Key, set[str]] = {}
        for attachment in attachments:
            if attachment.accepted:
                listeners_of_route.setdefault(attachment.gateway, set()).update(
                    attachment.listener_hostnames
                )
        for gateway_key, names in listeners_of_route.items():
            attached[gateway_key].update(names)

    gateway_statuses: dict[Key, dict[str, Any]] = {}
    tables: dict[Key, Table] = {}
    proxies: dict[Key, ProxyObjects] = {}
    for key, view in gateways.items():
        service = snapshot.services.get((key[0], proxy_name(key)))
        gateway_statuses[key] = gateway_status(
            snapshot, view, attached[key], service, _ready_proxies(snapshot, key)
        )
        if (
            any(item.accepted for item in view.listeners)
            and _accepted(gateway_statuses[key])
            and not _being_deleted(snapshot, view.gateway)
        ):
            tables[key] = routing_table(snapshot, view, route_results)
            proxies[key] = desired_proxy_objects(view, proxy_image)
    return ComputeResult(class_statuses, gateway_statuses, route_statuses, tables, proxies)


def _accepted(status: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Accepted" and c.get("status") == "True"
        for c in status.get("conditions") or ()
    )


def _being_deleted(snapshot: Snapshot, gateway: Obj) -> bool:
    """A Gateway being deleted, or in a terminating namespace, gets no (new) proxy objects."""
    if (gateway.get("metadata") or {}).get("deletionTimestamp"):
        return True
    namespace = snapshot.namespaces.get(key_of(gateway)[0]) or {}
    return bool(
        (namespace.get("metadata") or {}).get("deletionTimestamp")
        or (namespace.get("status") or {}).get("phase") == "Terminating"
    )


def _has_our_parents(snapshot: Snapshot, route: Obj) -> bool:
    """Whether the route still holds entries of ours (they must be cleaned up)."""
    return any(
        p.get("controllerName") == snapshot.controller_name
        for p in (route.get("status") or {}).get("parents") or ()
    )


def proxy_pods_of(snapshot: Snapshot, key: Key) -> list[Obj]:
    """The proxy Pods of a Gateway that are not being deleted."""
    wanted = gateway_hash(key)
    return [
        pod
        for (namespace, _), pod in sorted(snapshot.proxy_pods.items())
        if namespace == key[0]
        and ((pod.get("metadata") or {}).get("labels") or {}).get(GATEWAY_KEY_LABEL) == wanted
        and not (pod.get("metadata") or {}).get("deletionTimestamp")
    ]


def pod_ready(pod: Obj) -> bool:
    """Pod condition Ready=True."""
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or ()
    )


def _ready_proxies(snapshot: Snapshot, key: Key) -> int:
    return sum(1 for pod in proxy_pods_of(snapshot, key) if pod_ready(pod))
