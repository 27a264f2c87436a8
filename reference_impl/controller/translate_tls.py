"""TLSRoute -> TLSRouteEntry of the routing table (reference_impl/routing_table.md)."""

from __future__ import annotations

from reference_impl.controller.backend_tls import BackendTLSIndex
from reference_impl.controller.model import Obj, Snapshot, key_of
from reference_impl.controller.translate_backends import rule_backends


def tls_route_entry(
    snapshot: Snapshot, policies: BackendTLSIndex, route: Obj, hostnames: list[str]
) -> Obj:
    """SNI hostnames (intersected with the listener's) and the weighted backends of its rule."""
    namespace, name = key_of(route)
    rules = (route.get("spec") or {}).get("rules") or []
    rule = rules[0] if rules else {}
    return {
        "kind": "TLSRoute",
        "namespace": namespace,
        "name": name,
        "creationTimestamp": (route.get("metadata") or {}).get("creationTimestamp") or "",
        "hostnames": hostnames,
        "ruleName": rule.get("name"),
        "backends": rule_backends(snapshot, policies, "TLSRoute", namespace, rule),
    }
