"""Translation of a Gateway and its attached HTTPRoutes into the proxy's routing table.

The table follows reference_impl/routing_table.md; `version` is added by the runtime.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from reference_impl.controller.backends import ResolvedBackend, resolve_backend
from reference_impl.controller.gateway_view import GatewayView
from reference_impl.controller.model import Key, Obj, Snapshot, key_of
from reference_impl.controller.route_attachment import ParentAttachment

Table = dict[str, Any]


def routing_table(
    snapshot: Snapshot,
    view: GatewayView,
    routes: Sequence[tuple[Obj, list[ParentAttachment], list[str | None]]],
) -> Table:
    """The table for one Gateway: Programmed listeners, each with its accepted routes.

    ``routes`` holds every HTTPRoute with its attachments and per-rule problems.
    """
    listeners: list[dict[str, Any]] = []
    for item in view.listeners:
        if not item.programmed:
            continue
        entries: list[dict[str, Any]] = []
        for route, attachments, problems in routes:
            hostnames = _hostnames_on(view.key, item.name, attachments)
            if hostnames is None:
                continue
            entry = _route_entry(snapshot, route, hostnames, problems)
            if entry["rules"]:
                entries.append(entry)
        tls = None
        if item.protocol == "HTTPS":
            tls = {"mode": "Terminate", "certificates": list(item.certificates)}
        listeners.append(
            {
                "name": item.name,
                "port": item.port,
                "protocol": item.protocol,
                "hostname": item.hostname,
                "tls": tls,
                "routes": entries,
            }
        )
    return {
        "gateway": {"namespace": view.key[0], "name": view.key[1]},
        "listeners": listeners,
    }


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
    snapshot: Snapshot, route: Obj, hostnames: list[str], problems: Sequence[str | None]
) -> dict[str, Any]:
    namespace, name = key_of(route)
    rules = []
    for index, rule in enumerate((route.get("spec") or {}).get("rules") or ()):
        if problems[index] is None:
            rules.append(_rule(snapshot, namespace, index, rule))
    return {
        "kind": "HTTPRoute",
        "namespace": namespace,
        "name": name,
        "creationTimestamp": (route.get("metadata") or {}).get("creationTimestamp") or "",
        "hostnames": hostnames,
        "rules": rules,
    }


def _rule(snapshot: Snapshot, namespace: str, index: int, rule: Mapping[str, Any]) -> Obj:
    has_extension = any(f.get("type") == "ExtensionRef" for f in rule.get("filters") or ())
    backends = []
    for ref in rule.get("backendRefs") or ():
        resolved = resolve_backend(snapshot, "HTTPRoute", namespace, ref)
        backend_ext = any(f.get("type") == "ExtensionRef" for f in ref.get("filters") or ())
        backends.append(
            _backend(
                resolved,
                int(ref.get("weight", 1)),
                _filters(snapshot, namespace, ref.get("filters") or ()),
                valid_override=not (has_extension or backend_ext),
            )
        )
    timeouts = rule.get("timeouts")
    retry = rule.get("retry")
    return {
        "index": index,
        "name": rule.get("name"),
        "matches": [_match(m) for m in rule.get("matches") or ()]
        or [{"path": {"type": "PathPrefix", "value": "/"}}],
        "filters": _filters(snapshot, namespace, rule.get("filters") or ()),
        "backends": backends,
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


def _backend(
    resolved: ResolvedBackend, weight: int, filters: list[Obj], valid_override: bool = True
) -> Obj:
    return {
        "name": resolved.name,
        "weight": weight,
        "valid": resolved.valid and valid_override,
        "appProtocol": resolved.app_protocol,
        "endpoints": [{"ip": ip, "port": port} for ip, port in resolved.endpoints],
        "filters": filters,
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


def _filters(snapshot: Snapshot, namespace: str, filters: Sequence[Mapping[str, Any]]) -> list[Obj]:
    """Filters as spec JSON; mirror targets resolved; ExtensionRefs left out (backends 500)."""
    result: list[Obj] = []
    for item in filters:
        if item.get("type") == "ExtensionRef":
            continue
        entry = copy.deepcopy(dict(item))
        mirror = entry.get("requestMirror")
        if entry.get("type") == "RequestMirror" and mirror is not None:
            ref = mirror.pop("backendRef", None) or {}
            mirror["backend"] = _backend(
                resolve_backend(snapshot, "HTTPRoute", namespace, ref), 1, []
            )
        if entry.get("type") == "RequestRedirect":
            entry.setdefault("requestRedirect", {}).setdefault("statusCode", 302)
        result.append(entry)
    return result
