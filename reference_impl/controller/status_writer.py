"""Writes statuses that changed, through the status subresource with optimistic concurrency.

A PUT carries the cached resourceVersion, so a stale cache gets 409 and the next watch event
triggers a fresh computation; nothing another controller wrote in between is overwritten.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reference_impl.controller.constants import GATEWAY_GROUP, GATEWAY_VERSION
from reference_impl.controller.kube_rest import KubeApiError, KubeRest

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class StatusKind:
    """Where a kind's status subresource lives."""

    plural: str
    namespaced: bool

    def path(self, key: Any) -> str:
        base = f"/apis/{GATEWAY_GROUP}/{GATEWAY_VERSION}"
        if self.namespaced:
            namespace, name = key
            return f"{base}/namespaces/{namespace}/{self.plural}/{name}/status"
        return f"{base}/{self.plural}/{key}/status"


STATUS_KINDS = {
    "GatewayClass": StatusKind("gatewayclasses", namespaced=False),
    "Gateway": StatusKind("gateways", namespaced=True),
    "HTTPRoute": StatusKind("httproutes", namespaced=True),
    "GRPCRoute": StatusKind("grpcroutes", namespaced=True),
    "TLSRoute": StatusKind("tlsroutes", namespaced=True),
    "ListenerSet": StatusKind("listenersets", namespaced=True),
    "BackendTLSPolicy": StatusKind("backendtlspolicies", namespaced=True),
}


def same_status(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """Equality of two status objects as JSON."""
    return json.dumps(a or {}, sort_keys=True) == json.dumps(b or {}, sort_keys=True)


class StatusWriter:
    """Writes changed statuses in parallel; remembers what it wrote against which version."""

    def __init__(self, rest: KubeRest, workers: int = 8) -> None:
        self._rest = rest
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="status")
        self._lock = threading.Lock()
        self._written: dict[tuple[str, Any], str] = {}
        self.writes = 0

    def write_changed(
        self,
        batches: Sequence[tuple[str, Mapping[Any, dict[str, Any]], Mapping[Any, dict[str, Any]]]],
    ) -> int:
        """Write every desired status that differs from the cached one, all kinds in parallel.

        `batches` holds (kind, cached objects, desired statuses); returns the number of writes.
        """
        jobs = []
        for kind, current, desired in batches:
            for key, status in desired.items():
                obj = current.get(key)
                if obj is None or same_status(obj.get("status"), status):
                    continue
                version = str((obj.get("metadata") or {}).get("resourceVersion"))
                with self._lock:
                    if self._written.get((kind, key)) == version:
                        continue  # already written against this version; wait for the watch
                jobs.append(self._pool.submit(self._write, kind, key, obj, status, version))
        for job in jobs:
            job.result()
        with self._lock:  # forget objects that are gone
            live = {(kind, key) for kind, current, _ in batches for key in current}
            handled = {kind for kind, _, _ in batches}
            for entry in [e for e in self._written if e[0] in handled and e not in live]:
                del self._written[entry]
        return len(jobs)

    def _write(
        self, kind: str, key: Any, obj: dict[str, Any], status: dict[str, Any], version: str
    ) -> None:
        body = dict(obj)
        body["status"] = status
        try:
            self._rest.request("PUT", STATUS_KINDS[kind].path(key), body=body)
        except KubeApiError as exc:
            if exc.status in (404, 409):
                log.debug("%s %s: %s (the watch brings the new version)", kind, key, exc)
                return
            log.error("%s %s: status write rejected: %s", kind, key, exc)
        with self._lock:
            self._written[(kind, key)] = version
            self.writes += 1

    def close(self) -> None:
        self._pool.shutdown(wait=True)
