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
        self._awaiting: dict[tuple[str, Any], str] = {}
        """Objects with a status still to write once a version newer than this one arrives."""
        self._compared: dict[tuple[str, Any], tuple[dict[str, Any], str, bool]] = {}
        """Last comparison per object: (desired status, resourceVersion, equal)."""
        self.writes = 0

    def write_changed(
        self,
        batches: Sequence[tuple[str, Mapping[Any, dict[str, Any]], Mapping[Any, dict[str, Any]]]],
    ) -> int:
        """Write every desired status that differs from the cached one, all kinds in parallel.

        `batches` holds (kind, cached objects, desired statuses); returns the number of writes.
        """
        jobs = []
        compared: dict[tuple[str, Any], tuple[dict[str, Any], str, bool]] = {}
        for kind, current, desired in batches:
            for key, status in desired.items():
                obj = current.get(key)
                if obj is None:
                    continue
                version = str((obj.get("metadata") or {}).get("resourceVersion"))
                # The route cache hands back the very same status object while nothing changed:
                # against the same version, the answer is the one found last time.
                last = self._compared.get((kind, key))
                if last is not None and last[0] is status and last[1] == version:
                    equal = last[2]
                else:
                    equal = same_status(obj.get("status"), status)
                compared[(kind, key)] = (status, version, equal)
                if equal:
                    continue
                with self._lock:
                    if self._written.get((kind, key)) == version:
                        # Written against this version already; this newer answer must wait
                        # for the watch to bring our write back.
                        self._awaiting[(kind, key)] = version
                        continue
                jobs.append(self._pool.submit(self._write, kind, key, obj, status, version))
        self._compared = compared
        for job in jobs:
            job.result()
        with self._lock:  # forget objects that are gone
            live = {(kind, key) for kind, current, _ in batches for key in current}
            handled = {kind for kind, _, _ in batches}
            for entry in [e for e in self._written if e[0] in handled and e not in live]:
                del self._written[entry]
            for entry in [e for e in self._awaiting if e[0] in handled and e not in live]:
                del self._awaiting[entry]
        return len(jobs)

    def awaits(self, kind: str, key: Any, version: str | None) -> bool:
        """Whether a status write waits for this object to move past the version it had."""
        with self._lock:
            wanted = self._awaiting.get((kind, key))
            if wanted is None or wanted == version:
                return False
            del self._awaiting[(kind, key)]
            return True

    def awaiting(self) -> dict[tuple[str, Any], str]:
        """(kind, key) -> the version a pending status write waits to see replaced."""
        with self._lock:
            return dict(self._awaiting)

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
                with self._lock:
                    self._awaiting[(kind, key)] = version
                return
            log.error("%s %s: status write rejected: %s", kind, key, exc)
        with self._lock:
            self._written[(kind, key)] = version
            self.writes += 1

    def close(self) -> None:
        self._pool.shutdown(wait=True)
