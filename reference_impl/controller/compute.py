"""compute(snapshot): every status, routing table and proxy object this controller wants.

Pure: no I/O, no clock (the snapshot carries `now`), so it is tested with plain dicts.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reference_impl.controller.backend_tls import BackendTLSIndex, evaluate_backend_tls_policies
from reference_impl.controller.backend_tls_status import (
    backend_tls_policy_status,
    has_our_ancestors,
)
from reference_impl.controller.constants import GATEWAY_KEY_LABEL
from reference_impl.controller.gateway_status import gateway_status
from reference_impl.controller.gateway_view import GatewayView, owned_gateways
from reference_impl.controller.gatewayclass import evaluate_gateway_class, is_owned_class
from reference_impl.controller.grpc_rules import grpc_rule_problem
from reference_impl.controller.listener_sets import (
    ListenerSetView,
    attached_listener_sets,
    evaluate_listener_sets,
    listener_set_status,
)
from reference_impl.controller.model import Key, Obj, Snapshot, key_of
from reference_impl.controller.naming import gateway_hash, proxy_name
from reference_impl.controller.provisioning import ProxyObjects, desired_proxy_objects
from reference_impl.controller.route_attachment import ParentAttachment, attach_route
from reference_impl.controller.route_collisions import AttachedRoute, resolve_kind_collisions
from reference_impl.controller.route_rules import all_backend_refs, rule_problem
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
    grpc_route_statuses: dict[Key, dict[str, Any]] = dataclasses.field(default_factory=dict)
    tls_route_statuses: dict[Key, dict[str, Any]] = dataclasses.field(default_factory=dict)
    backend_tls_policy_statuses: dict[Key, dict[str, Any]] = dataclasses.field(default_factory=dict)
    listener_set_statuses: dict[Key, dict[str, Any]] = dataclasses.field(default_factory=dict)


RouteResult = tuple[Obj, Sequence[ParentAttachment], Sequence[str | None]]
RULE_PROBLEM_BY_KIND: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "HTTPRoute": rule_problem,
    "GRPCRoute": grpc_rule_problem,
    "TLSRoute": lambda rule: None,
}


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

    gateways, listener_sets = evaluate_listener_sets(
        snapshot, owned_gateways(snapshot, accepted_classes)
    )
    evaluated: list[AttachedRoute] = []
    for kind, routes in (
        ("HTTPRoute", snapshot.http_routes),
        ("GRPCRoute", snapshot.grpc_routes),
        ("TLSRoute", snapshot.tls_routes),
    ):
        evaluated += _attach_routes(snapshot, kind, routes, gateways, listener_sets)
    resolve_kind_collisions(evaluated)
    route_results: list[RouteResult] = []
    attached: dict[Key, Counter[str]] = {key: Counter() for key in gateways}
    statuses_by_kind: dict[str, dict[Key, dict[str, Any]]] = {
        "HTTPRoute": {},
        "GRPCRoute": {},
        "TLSRoute": {},
    }
    for item in evaluated:
        status = _route_status(snapshot, item)
        if status is None:
            continue
        statuses_by_kind[item.kind][item.key] = status
        route_results.append((item.route, item.attachments, item.problems))
        _count_attached(item.attachments, attached)

    policies = evaluate_backend_tls_policies(snapshot)
    policy_statuses = _policy_statuses(snapshot, policies, route_results)
    gateway_statuses: dict[Key, dict[str, Any]] = {}
    tables: dict[Key, Table] = {}
    proxies: dict[Key, ProxyObjects] = {}
    listener_set_counts = attached_listener_sets(listener_sets)
    for key, view in gateways.items():
        service = snapshot.services.get((key[0], proxy_name(key)))
        gateway_statuses[key] = gateway_status(
            snapshot, view, attached[key], service, _ready_proxies(snapshot, key)
        )
        _set_attached_listener_sets(
            gateway_statuses[key], view, listener_set_counts.get(key, 0), listener_sets
        )
        if (
            any(item.accepted for item in view.listeners)
            and _accepted(gateway_statuses[key])
            and not _being_deleted(snapshot, view.gateway)
        ):
            tables[key] = routing_table(snapshot, view, route_results, policies)
            proxies[key] = desired_proxy_objects(view, proxy_image)
    listener_set_statuses = {
        key: listener_set_status(
            snapshot,
            view,
            attached[view.gateway],
            _programmed(gateway_statuses[view.gateway]),
        )
        for key, view in listener_sets.items()
    }
    return ComputeResult(
        class_statuses,
        gateway_statuses,
        statuses_by_kind["HTTPRoute"],
        tables,
        proxies,
        statuses_by_kind["GRPCRoute"],
        statuses_by_kind["TLSRoute"],
        policy_statuses,
        listener_set_statuses,
    )


def _set_attached_listener_sets(
    status: dict[str, Any],
    view: GatewayView,
    count: int,
    listener_sets: Mapping[Key, ListenerSetView],
) -> None:
    """status.attachedListenerSets where ListenerSets concern the Gateway (or did before).

    Gateways that never dealt with ListenerSets keep their status as it was.
    """
    concerned = "allowedListeners" in (view.gateway.get("spec") or {}) or any(
        item.gateway == view.key for item in listener_sets.values()
    )
    if concerned or "attachedListenerSets" in status:
        status["attachedListenerSets"] = count


def _attach_routes(
    snapshot: Snapshot,
    kind: str,
    routes: Mapping[Key, Obj],
    gateways: Mapping[Key, GatewayView],
    listener_sets: Mapping[Key, ListenerSetView],
) -> list[AttachedRoute]:
    """Rule problems and parent attachments of every route of one kind."""
    result: list[AttachedRoute] = []
    for key, route in sorted(routes.items()):
        try:
            memo = snapshot.route_memo(kind, route)
            if memo is None:
                evaluated = _evaluate(snapshot, kind, route, gateways, listener_sets)
            elif memo.evaluated is None:
                evaluated = memo.evaluated = _evaluate(
                    snapshot, kind, route, gateways, listener_sets
                )
            else:
                evaluated = memo.evaluated
        except Exception:  # one odd object must not stall every other one
            log.exception("%s %s/%s skipped: it could not be evaluated", kind, *key)
            continue
        typed = route if route.get("kind") == kind else {**route, "kind": kind}
        result.append(AttachedRoute(kind, typed, evaluated[0], evaluated[1], key, memo))
    return result


def _evaluate(
    snapshot: Snapshot,
    kind: str,
    route: Obj,
    gateways: Mapping[Key, GatewayView],
    listener_sets: Mapping[Key, ListenerSetView],
) -> tuple[tuple[str | None, ...], tuple[ParentAttachment, ...]]:
    """(rule problems, attachments) of one route, before collisions with other routes."""
    problem_of = RULE_PROBLEM_BY_KIND[kind]
    rules = (route.get("spec") or {}).get("rules") or []
    problems = [problem_of(rule) for rule in rules]
    attachments = attach_route(snapshot, route, kind, gateways, problems, listener_sets)
    return tuple(problems), tuple(attachments)


def _route_status(snapshot: Snapshot, item: AttachedRoute) -> dict[str, Any] | None:
    """The route's status, or None when it concerns no Gateway of ours (nor did it before)."""
    if not item.attachments and not _has_our_parents(snapshot, item.route):
        return None
    try:
        memo = item.memo
        if memo is None:
            return _evaluate_route_status(snapshot, item)
        # Valid for the very same attachments: collisions with other routes replace them.
        kept = memo.status
        if kept is not None and (
            kept[0] is item.attachments or _same_objects(kept[0], item.attachments)
        ):
            return kept[1]  # type: ignore[no-any-return]
        status = _evaluate_route_status(snapshot, item)
        memo.status = (item.attachments, status)
        return status
    except Exception:  # one odd object must not stall every other one
        log.exception("%s %s/%s skipped: it could not be evaluated", item.kind, *item.key)
        return None


def _same_objects(a: Sequence[object], b: Sequence[object]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _evaluate_route_status(snapshot: Snapshot, item: AttachedRoute) -> dict[str, Any]:
    refs = resolve_route_refs(snapshot, item.route, item.kind)
    return route_status(snapshot, item.route, item.attachments, refs, item.problems)


def _count_attached(
    attachments: Sequence[ParentAttachment], attached: dict[Key, Counter[str]]
) -> None:
    """attachedRoutes: a route counts once per listener it is accepted on."""
    listeners_of_route: dict[Key, set[str]] = {}
    for attachment in attachments:
        if attachment.accepted:
            listeners_of_route.setdefault(attachment.gateway, set()).update(
                attachment.listener_hostnames
            )
    for gateway_key, names in listeners_of_route.items():
        counter = attached[gateway_key]
        for name in names:  # not Counter.update: its Mapping check costs more than the count
            counter[name] += 1


def _policy_statuses(
    snapshot: Snapshot, policies: BackendTLSIndex, route_results: Sequence[RouteResult]
) -> dict[Key, dict[str, Any]]:
    """BackendTLSPolicy statuses: ancestors are the Gateways whose accepted routes use a target."""
    if not snapshot.backend_tls_policies:
        return {}
    gateways_of_service = services_in_use(route_results)
    statuses: dict[Key, dict[str, Any]] = {}
    for key, policy in sorted(snapshot.backend_tls_policies.items()):
        evaluation = policies.policies[key]
        ancestors: set[Key] = set()
        for namespace, service, _ in _all_targets(snapshot, policy):
            ancestors |= gateways_of_service.get((namespace, service), set())
        if not ancestors and not has_our_ancestors(snapshot, policy):
            continue
        statuses[key] = backend_tls_policy_status(snapshot, policy, evaluation, sorted(ancestors))
    return statuses


def _all_targets(snapshot: Snapshot, policy: Obj) -> list[tuple[str, str, str | None]]:
    """Every Service a policy names (existing or not): its Gateways hear about it either way."""
    namespace, _ = key_of(policy)
    return [
        (namespace, str(ref.get("name") or ""), ref.get("sectionName"))
        for ref in (policy.get("spec") or {}).get("targetRefs") or ()
        if (ref.get("group") or "") == "" and ref.get("kind") == "Service"
    ]


def services_in_use(route_results: Sequence[RouteResult]) -> dict[Key, set[Key]]:
    """(namespace, Service) -> the Gateways where an accepted route sends traffic to it."""
    result: dict[Key, set[Key]] = {}
    for route, attachments, _ in route_results:
        gateways = {a.gateway for a in attachments if a.accepted}
        if not gateways:
            continue
        namespace, _ = key_of(route)
        for rule in (route.get("spec") or {}).get("rules") or ():
            for ref in all_backend_refs(rule):
                if (ref.get("group") or "") != "" or (ref.get("kind") or "Service") != "Service":
                    continue
                service = (str(ref.get("namespace") or namespace), str(ref.get("name") or ""))
                result.setdefault(service, set()).update(gateways)
    return result


def _accepted(status: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Accepted" and c.get("status") == "True"
        for c in status.get("conditions") or ()
    )


def _programmed(status: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Programmed" and c.get("status") == "True"
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
