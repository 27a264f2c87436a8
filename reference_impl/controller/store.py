"""The watch cache: the latest version of every watched object, and a change signal."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from reference_impl.controller.eval_cache import RouteEvalCache
from reference_impl.controller.model import CLUSTER_SCOPED_KINDS, Obj, Snapshot, key_of

SNAPSHOT_FIELDS = {
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


ROUTE_KINDS = frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute"})
"""Kinds whose per-route results are cached by resourceVersion (RouteEvalCache)."""
STATUS_UNREAD_BY_ROUTES = frozenset(
    {
        "GatewayClass",
        "Gateway",
        "ListenerSet",
        "Service",
        "Namespace",
        "Pod",
        "Deployment",
        "BackendTLSPolicy",
    }
)
"""Kinds whose status no route evaluation reads: status-only updates keep the route cache.

Most of their status updates are this controller's own writes (Gateway attachedRoutes after
every route change), which would otherwise throw the cache away at once.
"""


STATUS_WRITTEN_BY_CONTROLLERS = frozenset(
    {
        "GatewayClass",
        "Gateway",
        "ListenerSet",
        "HTTPRoute",
        "GRPCRoute",
        "TLSRoute",
        "BackendTLSPolicy",
    }
)
"""Kinds whose status only Gateway controllers write, from the rest of the object: an update of
nothing but their status (mostly this controller's own writes) needs no reconcile. The object
is stored all the same, so the next reconcile compares against the status written."""


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
        self.context_version = 0
        self.status_awaited: Callable[[str, Any, str | None], bool] = lambda kind, key, rv: False
        """Whether a status-only update is one a pending status write waits for (it wakes)."""
        """Counts changes that may alter a route's evaluation other than the route's own."""

    def replace(self, kind: str, objects: Iterable[Obj]) -> None:
        """Replace every object of a kind (after a list)."""
        fresh = {store_key(kind, obj): obj for obj in objects}
        with self._lock:
            self._objects[kind] = fresh
            self._synced.add(kind)
            if kind not in ROUTE_KINDS:
                self.context_version += 1
        self.changed.set()

    def upsert(self, kind: str, obj: Obj) -> None:
        key = store_key(kind, obj)
        with self._lock:
            old = self._objects[kind].get(key)
            self._objects[kind][key] = obj
            status_only = old is not None and same_but_status(old, obj)
            if kind not in ROUTE_KINDS and not (status_only and kind in STATUS_UNREAD_BY_ROUTES):
                self.context_version += 1
        if (old is None or _rv(old) != _rv(obj)) and not (
            status_only
            and kind in STATUS_WRITTEN_BY_CONTROLLERS
            and not self.status_awaited(kind, key, _rv(obj))
        ):
            self.changed.set()

    def version_of(self, kind: str, key: Any) -> str | None:
        """The resourceVersion held for an object (None when absent)."""
        with self._lock:
            obj = self._objects[kind].get(key)
        return None if obj is None else _rv(obj)

    def delete(self, kind: str, obj: Obj) -> None:
        with self._lock:
            removed = self._objects[kind].pop(store_key(kind, obj), None)
            if removed is not None and kind not in ROUTE_KINDS:
                self.context_version += 1
        if removed is not None:
            self.changed.set()

    def all_synced(self) -> bool:
        with self._lock:
            return self._synced >= set(self._objects)

    def objects(self, kind: str) -> dict[Any, Obj]:
        """A shallow copy of one kind's map."""
        with self._lock:
            return dict(self._objects[kind])

    def snapshot(
        self, now: str, route_cache: RouteEvalCache | None = None, **options: Any
    ) -> Snapshot:
        """The Snapshot compute() reads; a route cache is readied for its context."""
        with self._lock:
            fields: dict[str, Any] = {
                field: dict(self._objects[kind])
                for kind, field in SNAPSHOT_FIELDS.items()
                if kind in self._objects
            }
            context = self.context_version
        if route_cache is not None:
            route_cache.begin(context)
        return Snapshot(now=now, route_cache=route_cache, **fields, **options)


_VOLATILE_METADATA = ("resourceVersion", "managedFields")


def same_but_status(old: Obj, new: Obj) -> bool:
    """Whether two versions of an object differ at most in status and bookkeeping metadata."""
    if old.keys() - {"status"} != new.keys() - {"status"}:
        return False
    for field, value in new.items():
        if field == "status":
            continue
        if field == "metadata":
            old_meta = dict(old.get("metadata") or {})
            new_meta = dict(value or {})
            for volatile in _VOLATILE_METADATA:
                old_meta.pop(volatile, None)
                new_meta.pop(volatile, None)
            if old_meta != new_meta:
                return False
        elif old.get(field) != value:
            return False
    return True


def _rv(obj: Obj) -> str | None:
    value = (obj.get("metadata") or {}).get("resourceVersion")
    return str(value) if value is not None else None
