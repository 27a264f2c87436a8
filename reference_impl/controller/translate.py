"""Translation of a Gateway and its attached routes into the proxy's routing table.

The table follows reference_impl/routing_table.md; `version` is added by the runtime.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from reference_impl.controller.backend_tls import BackendTLSIndex, evaluate_backend_tls_policies
from reference_impl.controller.gateway_tls import (
    backend_client_certificate,
    with_backend_client_certificate,
)
from reference_impl.controller.gateway_view import GatewayView
from reference_impl.controller.listeners import ListenerEval
from reference_impl.controller.model import Key, Obj, Snapshot, key_of
from reference_impl.controller.route_attachment import ParentAttachment
from reference_impl.controller.translate_backends import filter_entries, rule_backends
from reference_impl.controller.translate_grpc import grpc_route_entry
from reference_impl.controller.translate_tls import tls_route_entry

Table = dict[str, Any]
NO_POLICIES = BackendTLSIndex({}, {})


def routing_table(
    snapshot: Snapshot,
    view: GatewayView,
    routes: Sequence[tuple[Obj, Sequence[ParentAttachment], Sequence[str | None]]],
    policies: BackendTLSIndex | None = None,
) -> Table:
    """The table for one Gateway: Programmed listeners (its own, then its ListenerSets'), each
    with its accepted routes.

    ``routes`` holds every route (any kind, told apart by its `kind`) with its attachments and
    per-rule problems; kinds the data plane does not serve are left out.
    """
    if policies is None:
        policies = evaluate_backend_tls_policies(snapshot)
    listeners: list[dict[str, Any]] = []
    for item in view.merged_listeners:
        if not item.programmed:
            continue
        entries: list[dict[str, Any]] = []
        for route, attachments, problems in routes:
            kind = str(route.get("kind") or "HTTPRoute")
            if kind not in snapshot.data_plane.route_kinds:
                continue
            hostnames = _hostnames_on(view.key, item.key, attachments)
            if hostnames is None:
                continue
            entry = _cached_entry(snapshot, policies, item, route, hostnames, problems)
            if entry["backends" if kind == "TLSRoute" else "rules"]:
                entries.append(entry)
        tls: dict[str, Any] | None = None
        if item.tls_mode == "Terminate":
            tls = {"mode": "Terminate", "certificates": list(item.certificates)}
            if item.client_validation is not None:
                tls["clientValidation"] = dict(item.client_validation)
        elif item.tls_mode == "Passthrough":
            tls = {"mode": "Passthrough", "certificates": []}
        listeners.append(
            {
                "name": item.key,
                "port": item.port,
                "protocol": item.protocol,
                "hostname": item.hostname,
                "tls": tls,
                "routes": entries,
            }
        )
    table = {
        "gateway": {"namespace": view.key[0], "name": view.key[1]},
        "listeners": listeners,
    }
    return with_backend_client_certificate(
        table, backend_client_certificate(snapshot, view.gateway)
    )


def _cached_entry(
    snapshot: Snapshot,
    policies: BackendTLSIndex,
    listener: ListenerEval,
    route: Obj,
    hostnames: list[str],
    problems: Sequence[str | None],
) -> dict[str, Any]:
    """The route's table entry for these hostnames (kept across reconciles; never mutated)."""
    kind = str(route.get("kind") or "HTTPRoute")
    memo = snapshot.route_memo(kind, route)
    if memo is None:
        return _entry(snapshot, policies, listener, kind, route, hostnames, problems)
    key = (tuple(hostnames), listener.tls_mode if kind == "TLSRoute" else None)
    entry = memo.entries.get(key)
    if entry is None:
        entry = memo.entries[key] = _entry(
            snapshot, policies, listener, kind, route, hostnames, problems
        )
    return entry


def _entry(
    snapshot: Snapshot,
    policies: BackendTLSIndex,
    listener: ListenerEval,
    kind: str,
    route: Obj,
    hostnames: list[str],
    problems: Sequence[str | None],
) -> dict[str, Any]:
    if kind == "TLSRoute":
        # Passthrough forwards the client's own TLS: no policy can re-encrypt it.
        reencrypt = policies if listener.tls_mode == "Terminate" else NO_POLICIES
        return tls_route_entry(snapshot, reencrypt, route, hostnames)
    if kind == "GRPCRoute":
        return grpc_route_entry(snapshot, policies, route, hostnames, problems)
    return _route_entry(snapshot, policies, route, hostnames, problems)


def _hostnames_on(
    gateway: Key, listener: str, attachments: Sequence[ParentAttachment]
) -> list[str] | None:
    """The route's hostnames on that listener, or None when it is not attached there."""
    found: list[str] | None = None
    for attachment in attachments:
        if attachment.gateway != gateway or not attachment.accepted:
            continue
        hosts = attachment.listener_hostnames.get(listener)
        if hosts is None:
            continue
        if not hosts:
            return []
        found = (found or []) + [h for h in hosts if h not in (found or [])]
    return found


def _route_entry(
    snapshot: Snapshot,
    policies: BackendTLSIndex,
    route: Obj,
    hostnames: list[str],
    problems: Sequence[str | None],
) -> dict[str, Any]:
    namespace, name = key_of(route)
    rules = []
    for index, rule in enumerate((route.get("spec") or {}).get("rules") or ()):
        if problems[index] is None:
            rules.append(_rule(snapshot, policies, namespace, index, rule))
    return {
        "kind": "HTTPRoute",
        "namespace": namespace,
        "name": name,
        "creationTimestamp": (route.get("metadata") or {}).get("creationTimestamp") or "",
        "hostnames": hostnames,
        "rules": rules,
    }


def _rule(
    snapshot: Snapshot,
    policies: BackendTLSIndex,
    namespace: str,
    index: int,
    rule: Mapping[str, Any],
) -> Obj:
    timeouts = rule.get("timeouts")
    retry = rule.get("retry")
    return {
        "index": index,
        "name": rule.get("name"),
        "matches": [_match(m) for m in rule.get("matches") or ()]
        or [{"path": {"type": "PathPrefix", "value": "/"}}],
        "filters": filter_entries(
            snapshot, policies, "HTTPRoute", namespace, rule.get("filters") or ()
        ),
        "backends": rule_backends(snapshot, policies, "HTTPRoute", namespace, rule),
        "timeouts": None
        if not timeouts
        else {"request": timeouts.get("request"), "backendRequest": timeouts.get("backendRequest")},
        "retry": None
        if not retry
        else {
            "codes": [int(c) for c in retry.get("codes") or ()],
            "attempts": retry.get("attempts"),
            "backoff": retry.get("backoff"),
        },
    }


def _match(match: Mapping[str, Any]) -> Obj:
    result = copy.deepcopy(dict(match))
    path = result.get("path")
    if path is None:
        result["path"] = {"type": "PathPrefix", "value": "/"}
    else:
        path.setdefault("type", "PathPrefix")
        path.setdefault("value", "/")
    for header in result.get("headers") or ():
        header.setdefault("type", "Exact")
    for param in result.get("queryParams") or ():
        param.setdefault("type", "Exact")
    return result
