"""The snapshot the pure core works on: every watched object, as plain API dicts."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from typing import Any

from reference_impl.controller.constants import CONTROLLER_NAME
from reference_impl.controller.eval_cache import RouteEvalCache, RouteMemo
from reference_impl.controller.features import PROXY_SUPPORT, DataPlaneSupport

Obj = dict[str, Any]
Key = tuple[str, str]
"""(namespace, name) of a namespaced object."""


def key_of(obj: Mapping[str, Any]) -> Key:
    """(namespace, name) from an object's metadata."""
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")


def generation_of(obj: Mapping[str, Any]) -> int:
    """metadata.generation (1 when the API server did not set it, as for a fresh object)."""
    return int((obj.get("metadata") or {}).get("generation") or 1)


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """Everything compute() reads. Namespaced kinds are keyed by (namespace, name)."""

    now: str
    """RFC 3339 time used as lastTransitionTime for conditions that change now."""
    gateway_classes: Mapping[str, Obj] = dataclasses.field(default_factory=dict)
    gateways: Mapping[Key, Obj] = dataclasses.field(default_factory=dict)
    http_routes: Mapping[Key, Obj] = dataclasses.field(default_factory=dict)
    grpc_routes: Mapping[Key, Obj] = dataclasses.field(default_factory=dict)
    tls_routes: Mapping[Key, Obj] = dataclasses.field(default_factory=dict)
    listener_sets: Mapping[Key, Obj] = dataclasses.field(default_factory=dict)
    backend_tls_policies: Mapping[Key, Obj] = dataclasses.field(default_factory=dict)
    config_maps: Mapping[Key, Obj] = dataclasses.field(default_factory=dict)
    reference_grants: Mapping[Key, Obj] = dataclasses.field(default_factory=dict)
    services: Mapping[Key, Obj] = dataclasses.field(default_factory=dict)
    endpoint_slices: Mapping[Key, Obj] = dataclasses.field(default_factory=dict)
    secrets: Mapping[Key, Obj] = dataclasses.field(default_factory=dict)
    namespaces: Mapping[str, Obj] = dataclasses.field(default_factory=dict)
    proxy_pods: Mapping[Key, Obj] = dataclasses.field(default_factory=dict)
    controller_name: str = CONTROLLER_NAME
    gateway_class_names: frozenset[str] | None = None
    """When set, only these GatewayClasses are handled; others are left untouched."""
    data_plane: DataPlaneSupport = PROXY_SUPPORT
    """What the proxy serves: route kinds, TLS listener modes, backend TLS."""
    unserved_features: frozenset[str] = frozenset()
    """Implemented features the cluster's CRDs cannot express: not advertised."""
    route_cache: RouteEvalCache | None = None
    """Per-route results of earlier reconciles, valid for this snapshot's context."""

    def route_memo(self, kind: str, route: Obj) -> RouteMemo | None:
        """The memo of this route version when a route cache is attached."""
        if self.route_cache is None:
            return None
        return self.route_cache.memo_of(kind, route)

    def endpoint_slices_of(self, namespace: str, service: str) -> list[Obj]:
        """EndpointSlices labelled for that Service, ordered by name."""
        return self._slices_by_service.get((namespace, service), [])

    @functools.cached_property
    def _slices_by_service(self) -> dict[Key, list[Obj]]:
        index: dict[Key, list[Obj]] = {}
        for (namespace, _), slice_ in sorted(self.endpoint_slices.items()):
            labels = (slice_.get("metadata") or {}).get("labels") or {}
            service = labels.get("kubernetes.io/service-name")
            if service:
                index.setdefault((namespace, str(service)), []).append(slice_)
        return index

    @functools.cached_property
    def memo(self) -> dict[Any, Any]:
        """Results of pure lookups on this snapshot (e.g. resolved backendRefs), by input."""
        return {}

    def reference_grants_in(self, namespace: str) -> list[Obj]:
        """ReferenceGrants of one namespace."""
        return self._grants_by_namespace.get(namespace, [])

    @functools.cached_property
    def _grants_by_namespace(self) -> dict[str, list[Obj]]:
        index: dict[str, list[Obj]] = {}
        for (namespace, _), grant in sorted(self.reference_grants.items()):
            index.setdefault(namespace, []).append(grant)
        return index


_FIELD_BY_KIND = {
    "GatewayClass": "gateway_classes",
    "Gateway": "gateways",
    "HTTPRoute": "http_routes",
    "GRPCRoute": "grpc_routes",
    "TLSRoute": "tls_routes",
    "ListenerSet": "listener_sets",
    "BackendTLSPolicy": "backend_tls_policies",
    "ConfigMap": "config_maps",
    "ReferenceGrant": "reference_grants",
    "Service": "services",
    "EndpointSlice": "endpoint_slices",
    "Secret": "secrets",
    "Namespace": "namespaces",
    "Pod": "proxy_pods",
}
CLUSTER_SCOPED_KINDS = frozenset({"GatewayClass", "Namespace"})


def snapshot_of(objects: Iterable[Obj], now: str, **options: Any) -> Snapshot:
    """A Snapshot holding these objects, sorted by their `kind`."""
    fields: dict[str, Any] = {name: {} for name in _FIELD_BY_KIND.values()}
    for obj in objects:
        kind = str(obj.get("kind"))
        if kind not in _FIELD_BY_KIND:
            raise ValueError(f"snapshot_of: kind {kind!r} is not part of a Snapshot")
        key: Any = obj["metadata"]["name"] if kind in CLUSTER_SCOPED_KINDS else key_of(obj)
        fields[_FIELD_BY_KIND[kind]][key] = obj
    return dataclasses.replace(Snapshot(now=now, **options), **fields)
