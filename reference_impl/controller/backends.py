"""backendRefs: validity (kind, grant, existence, appProtocol) and ready endpoints."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from reference_impl.controller.constants import GATEWAY_GROUP
from reference_impl.controller.features import (
    BACKEND_APP_PROTOCOLS,
    GRPC_BACKEND_APP_PROTOCOLS,
    TLS_BACKEND_APP_PROTOCOLS,
)
from reference_impl.controller.model import Key, Obj, Snapshot
from reference_impl.controller.references import is_permitted


@dataclasses.dataclass(frozen=True)
class ResolvedBackend:
    """A backendRef as the proxy sees it, plus the ResolvedRefs reason when it is invalid."""

    name: str
    reason: str | None
    message: str
    app_protocol: str | None = None
    endpoints: tuple[tuple[str, int], ...] = ()
    service: Key | None = None
    """(namespace, name) of the resolved Service (BackendTLSPolicy targets it)."""
    port_name: str | None = None
    """Name of the Service port (a BackendTLSPolicy sectionName selects it)."""

    @property
    def valid(self) -> bool:
        return self.reason is None


_MEMO_TAG = "resolve_backend"


def resolve_backend(
    snapshot: Snapshot, route_kind: str, route_namespace: str, ref: Mapping[str, Any]
) -> ResolvedBackend:
    """Resolve one backendRef: kind, then ReferenceGrant, then the Service and its port.

    Memoised per snapshot: a route's status and its table entry resolve the same refs, and
    many routes share a Service.
    """
    get = ref.get
    group, kind, name, namespace, port = (
        get("group"),
        get("kind"),
        get("name"),
        get("namespace"),
        get("port"),
    )
    # Types are part of the key: 8080 and 8080.0 are equal but not labelled alike.
    key = (
        _MEMO_TAG,
        route_kind,
        route_namespace,
        (group, kind, name, namespace, port),
        (type(group), type(kind), type(name), type(namespace), type(port)),
    )
    try:
        found: ResolvedBackend | None = snapshot.memo.get(key)
    except TypeError:  # an unhashable value in the ref: resolve it without the memo
        return _resolve_backend(snapshot, route_kind, route_namespace, ref)
    if found is None:
        found = _resolve_backend(snapshot, route_kind, route_namespace, ref)
        snapshot.memo[key] = found
    return found


def _resolve_backend(
    snapshot: Snapshot, route_kind: str, route_namespace: str, ref: Mapping[str, Any]
) -> ResolvedBackend:
    group = ref.get("group") or ""
    kind = ref.get("kind") or "Service"
    name = str(ref.get("name") or "")
    namespace = str(ref.get("namespace") or route_namespace)
    port = ref.get("port")
    label = f"{namespace}/{name}:{port}" if port is not None else f"{namespace}/{name}"
    if group != "" or kind != "Service":
        return ResolvedBackend(
            label,
            "InvalidKind",
            f"backendRef {label} has unsupported kind {group or 'core'}/{kind}",
        )
    if not is_permitted(
        snapshot,
        from_group=GATEWAY_GROUP,
        from_kind=route_kind,
        from_namespace=route_namespace,
        to_group="",
        to_kind="Service",
        to_namespace=namespace,
        to_name=name,
    ):
        return ResolvedBackend(
            label,
            "RefNotPermitted",
            f"backendRef {label} is in another namespace and no ReferenceGrant allows it",
        )
    service = snapshot.services.get((namespace, name))
    if service is None:
        return ResolvedBackend(label, "BackendNotFound", f"Service {namespace}/{name} not found")
    spec = service.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return ResolvedBackend(
            label, "InvalidKind", f"Service {namespace}/{name} is ExternalName (not supported)"
        )
    if port is None:
        return ResolvedBackend(label, "BackendNotFound", f"backendRef {label} has no port")
    service_port = next((p for p in spec.get("ports") or () if p.get("port") == port), None)
    if service_port is None:
        return ResolvedBackend(
            label, "BackendNotFound", f"Service {namespace}/{name} has no port {port}"
        )
    app_protocol = service_port.get("appProtocol")
    allowed = GRPC_BACKEND_APP_PROTOCOLS if route_kind == "GRPCRoute" else BACKEND_APP_PROTOCOLS
    if snapshot.data_plane.backend_tls:
        # TLS to the backend; it needs a BackendTLSPolicy, else translation marks it invalid.
        allowed = allowed | TLS_BACKEND_APP_PROTOCOLS
    # TLSRoute forwards raw bytes: the Service's application protocol does not matter.
    if route_kind != "TLSRoute" and app_protocol not in allowed:
        return ResolvedBackend(
            label,
            "UnsupportedProtocol",
            f"Service {namespace}/{name} port {port} has appProtocol {app_protocol!r}, "
            "which the proxy cannot speak",
            app_protocol,
        )
    return ResolvedBackend(
        label,
        None,
        "",
        app_protocol or None,
        ready_endpoints(snapshot, namespace, name, service_port),
        (namespace, name),
        service_port.get("name") or None,
    )


def ready_endpoints(
    snapshot: Snapshot, namespace: str, service: str, service_port: Mapping[str, Any]
) -> tuple[tuple[str, int], ...]:
    """Ready (ip, port) pairs from the Service's EndpointSlices for that Service port."""
    port_name = service_port.get("name") or ""
    found: list[tuple[str, int]] = []
    for slice_ in snapshot.endpoint_slices_of(namespace, service):
        slice_port = _slice_port(slice_, port_name)
        if slice_port is None:
            continue
        for endpoint in slice_.get("endpoints") or ():
            if (endpoint.get("conditions") or {}).get("ready") is False:
                continue
            for address in endpoint.get("addresses") or ():
                pair = (str(address), slice_port)
                if pair not in found:
                    found.append(pair)
    return tuple(found)


def _slice_port(slice_: Obj, port_name: str) -> int | None:
    for port in slice_.get("ports") or ():
        if (port.get("name") or "") == port_name and port.get("port") is not None:
            return int(port["port"])
    return None
