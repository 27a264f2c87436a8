"""Backends and filters as the routing table spells them, with backend TLS from policies."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from reference_impl.controller.backend_tls import BackendTLSIndex
from reference_impl.controller.backends import ResolvedBackend, resolve_backend
from reference_impl.controller.features import TLS_BACKEND_APP_PROTOCOLS
from reference_impl.controller.model import Obj, Snapshot


def backend_entry(
    policies: BackendTLSIndex,
    resolved: ResolvedBackend,
    weight: int,
    filters: list[Obj],
    valid_override: bool = True,
) -> Obj:
    """A Backend; `tls` is present only when a BackendTLSPolicy governs the Service port.

    A governing policy that cannot be used (invalid CA, or a proxy without backend TLS) makes
    the backend invalid: requests fail with 5xx and never go out in plaintext.
    """
    entry: Obj = {
        "name": resolved.name,
        "weight": weight,
        "valid": resolved.valid and valid_override,
        "appProtocol": resolved.app_protocol,
        "endpoints": [{"ip": ip, "port": port} for ip, port in resolved.endpoints],
        "filters": filters,
    }
    policy = None
    if resolved.service is not None:
        policy = policies.for_backend(resolved.service, resolved.port_name)
        if policy is not None:
            if policy.tls is None:
                entry["valid"] = False
            else:
                entry["tls"] = copy.deepcopy(policy.tls)
    if resolved.app_protocol in TLS_BACKEND_APP_PROTOCOLS and "tls" not in entry:
        # The backend speaks TLS but nothing says how to verify it: never send plaintext.
        entry["valid"] = False
    return entry


def filter_entries(
    snapshot: Snapshot,
    policies: BackendTLSIndex,
    route_kind: str,
    namespace: str,
    filters: Sequence[Mapping[str, Any]],
) -> list[Obj]:
    """Filters as spec JSON; mirror targets resolved; ExtensionRefs left out (backends 500)."""
    result: list[Obj] = []
    for item in filters:
        if item.get("type") == "ExtensionRef":
            continue
        entry = copy.deepcopy(dict(item))
        mirror = entry.get("requestMirror")
        if entry.get("type") == "RequestMirror" and mirror is not None:
            ref = mirror.pop("backendRef", None) or {}
            mirror["backend"] = backend_entry(
                policies, resolve_backend(snapshot, route_kind, namespace, ref), 1, []
            )
        if entry.get("type") == "RequestRedirect":
            entry.setdefault("requestRedirect", {}).setdefault("statusCode", 302)
        result.append(entry)
    return result


def has_extension_ref(filters: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a filter list holds an (unresolvable) ExtensionRef."""
    return any(f.get("type") == "ExtensionRef" for f in filters)


def rule_backends(
    snapshot: Snapshot,
    policies: BackendTLSIndex,
    route_kind: str,
    namespace: str,
    rule: Mapping[str, Any],
) -> list[Obj]:
    """The rule's weighted backends; an ExtensionRef on the rule or the ref invalidates one."""
    rule_extension = has_extension_ref(rule.get("filters") or ())
    backends = []
    for ref in rule.get("backendRefs") or ():
        ref_filters = ref.get("filters") or ()
        backends.append(
            backend_entry(
                policies,
                resolve_backend(snapshot, route_kind, namespace, ref),
                int(ref.get("weight", 1)),
                filter_entries(snapshot, policies, route_kind, namespace, ref_filters),
                valid_override=not (rule_extension or has_extension_ref(ref_filters)),
            )
        )
    return backends
