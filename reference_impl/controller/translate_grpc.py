"""GRPCRoute -> GRPCRouteEntry of the routing table (reference_impl/routing_table.md)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from reference_impl.controller.backend_tls import BackendTLSIndex
from reference_impl.controller.model import Obj, Snapshot, key_of
from reference_impl.controller.translate_backends import filter_entries, rule_backends


def grpc_route_entry(
    snapshot: Snapshot,
    policies: BackendTLSIndex,
    route: Obj,
    hostnames: list[str],
    problems: Sequence[str | None],
) -> Obj:
    """The entry for one listener: valid rules only, defaults filled in."""
    namespace, name = key_of(route)
    rules = [
        _rule(snapshot, policies, namespace, index, rule)
        for index, rule in enumerate((route.get("spec") or {}).get("rules") or ())
        if problems[index] is None
    ]
    return {
        "kind": "GRPCRoute",
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
    return {
        "index": index,
        "name": rule.get("name"),
        "matches": [grpc_match(m) for m in rule.get("matches") or ()]
        or [{"method": None, "headers": []}],
        "filters": filter_entries(
            snapshot, policies, "GRPCRoute", namespace, rule.get("filters") or ()
        ),
        "backends": rule_backends(snapshot, policies, "GRPCRoute", namespace, rule),
    }


def grpc_match(match: Mapping[str, Any]) -> Obj:
    """A GRPCRouteMatch with every default explicit: method type Exact, header type Exact."""
    method = match.get("method")
    headers = [copy.deepcopy(dict(h)) for h in match.get("headers") or ()]
    for header in headers:
        header.setdefault("type", "Exact")
    return {
        "method": None
        if method is None
        else {
            "type": method.get("type") or "Exact",
            "service": method.get("service") or None,
            "method": method.get("method") or None,
        },
        "headers": headers,
    }
