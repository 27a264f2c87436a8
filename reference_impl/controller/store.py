"""The watch cache: the latest version of every watched object, and a change signal."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from reference_impl.controller.model import CLUSTER_SCOPED_KINDS, Obj, Snapshot, key_of

SNAPSHOT_FIELDS = {
    "GatewayClass": "gateway_classes",
    "Gateway": "gateways",
    "HTTPRoute": "http_routes",
    "GRPCRoute": "grpc_routes",
    "TLSRoute": "tls_routes",
    "BackendTLSPolicy": "backend_tls_policies",
    "ConfigMap": "config_maps",
    "ReferenceGrant": "reference_grants",
    "Service": "services",
    "EndpointSlice": "endpoint_slices",
    "Secret": "secrets",
    "Namespace": "namespaces",
    "Pod": "proxy_pods",
}


def store_key(kind: str, obj: Obj) -> Any:
    """Name for cluster-scoped kinds, (namespace, name) otherwise."""
    if kind in CLUSTER_SCOPED_KINDS:
        return (obj.get("metadata") or {}).get("name")
    return key_of(obj)


class ObjectStore:
    """Thread-safe per-kind maps; objects are replaced, never mutated in place."""

    def __init__(self, kinds: Iterable[str]) -> None:
        self._lock = threading.Lock()
        self._objects: dict[str, dict[Any, Obj]] = {kind: {} for kind in kinds}
        self._synced: set[str] = set()
        self.changed = threading.Event()
        """Set whenever an object changes; the reconciler clears it before it reads."""

    def replace(self, kind: str, objects: Iterable[Obj]) -> None:
        """Replace every object of a kind (after a list)."""
        fresh = {store_key(kind, obj): obj for obj in objects}
        with self._lock:
            self._objects[kind] = fresh
            self._synced.add(kind)
        self.changed.set()

    def upsert(self, kind: str, obj: Obj) -> None:
        key = store_key(kind, obj)
        with self._lock:
            old = self._objects[kind].get(key)
            self._objects[kind][key] = obj
        if old is None or _rv(old) != _rv(obj):
            self.changed.set()

    def delete(self, kind: str, obj: Obj) -> None:
        with self._lock:
            removed = self._objects[kind].pop(store_key(kind, obj), None)
        if removed is not None:
            self.changed.set()

    def all_synced(self) -> bool:
        with self._lock:
            return self._synced >= set(self._objects)

    def objects(self, kind: str) -> dict[Any, Obj]:
        """A shallow copy of one kind's map."""
        with self._lock:
            return dict(self._objects[kind])

    def snapshot(self, now: str, **options: Any) -> Snapshot:
        """The Snapshot compute() reads."""
        with self._lock:
            fields: dict[str, Any] = {
                field: dict(self._objects[kind])
                for kind, field in SNAPSHOT_FIELDS.items()
                if kind in self._objects
            }
        return Snapshot(now=now, **fields, **options)


def _rv(obj: Obj) -> str | None:
    value = (obj.get("metadata") or {}).get("resourceVersion")
    return str(value) if value is not None else None
