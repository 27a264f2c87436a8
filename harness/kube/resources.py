"""Find API resources by kind through discovery; references to single objects."""

from __future__ import annotations

import atexit
import dataclasses
import itertools
import os
import shutil
import tempfile
import threading
from typing import Any
from weakref import WeakKeyDictionary

from kubernetes import client
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError

_DYNAMIC: WeakKeyDictionary[client.ApiClient, DynamicClient] = WeakKeyDictionary()
_LOCK = threading.Lock()
_CACHE_DIR: list[str] = []
_SERIAL = itertools.count()


def _discovery_cache_dir() -> str:
    """One private folder per process for discovery caches, removed at exit."""
    if not _CACHE_DIR:
        folder = tempfile.mkdtemp(prefix="gwh-discovery-")
        atexit.register(shutil.rmtree, folder, True)
        _CACHE_DIR.append(folder)
    return _CACHE_DIR[0]


@dataclasses.dataclass(frozen=True)
class ObjectRef:
    """Enough to find one object again: apiVersion, kind, namespace (or ""), name."""

    api_version: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"

    def kubectl_hint(self) -> str:
        """A command a person can run to look at the object."""
        group = self.api_version.split("/")[0] if "/" in self.api_version else ""
        kind = f"{self.kind.lower()}.{group}" if group else self.kind.lower()
        ns = f" -n {self.namespace}" if self.namespace else ""
        return f"kubectl get {kind}{ns} {self.name} -o yaml"

    @classmethod
    def of(cls, obj: dict[str, Any]) -> ObjectRef:
        meta = obj.get("metadata", {})
        return cls(obj["apiVersion"], obj["kind"], meta.get("namespace", "") or "", meta["name"])


def dynamic_client(api: client.ApiClient) -> DynamicClient:
    """One DynamicClient per ApiClient, with a private discovery cache file."""
    with _LOCK:
        dyn = _DYNAMIC.get(api)
        if dyn is None:
            cache_file = os.path.join(_discovery_cache_dir(), f"discovery-{next(_SERIAL)}.json")
            dyn = DynamicClient(api, cache_file=cache_file)  # type: ignore[no-untyped-call]
            _DYNAMIC[api] = dyn
        return dyn


def resolve_kind(api: client.ApiClient, kind: str, api_version: str | None = None) -> Any:
    """The dynamic Resource for ``kind`` (its preferred version unless ``api_version`` given).

    ``kind`` may also be written ``group/version/Kind`` or ``version/Kind``.
    """
    if api_version is None and "/" in kind:
        api_version, _, kind = kind.rpartition("/")
    dyn = dynamic_client(api)
    try:
        if api_version:
            return dyn.resources.get(api_version=api_version, kind=kind)
        found = [r for r in dyn.resources.search(kind=kind) if r.kind == kind]
    except ResourceNotFoundError as exc:
        raise LookupError(_not_served(kind, api_version)) from exc
    if not found:
        raise LookupError(_not_served(kind, api_version))
    preferred = [r for r in found if getattr(r, "preferred", False)]
    return (preferred or found)[0]


def _not_served(kind: str, api_version: str | None) -> str:
    version = f" in {api_version}" if api_version else ""
    return (
        f"the cluster serves no kind {kind!r}{version}; are the Gateway API CRDs installed "
        "(`gwh cluster up` installs them) and is the kind spelled as in the CRD?"
    )
