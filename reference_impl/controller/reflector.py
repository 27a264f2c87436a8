"""List+watch of one resource into the ObjectStore, re-listing when the watch expires (410)."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from typing import Any

from reference_impl.controller.kube_rest import KubeApiError, KubeRest
from reference_impl.controller.store import ObjectStore

log = logging.getLogger(__name__)

WATCH_SECONDS = 240
"""Server-side watch duration; the reflector re-watches from the last resourceVersion."""


@dataclasses.dataclass(frozen=True)
class Resource:
    """A watched collection, cluster-wide, optionally filtered."""

    kind: str
    api_version: str
    plural: str
    label_selector: str | None = None
    field_selector: str | None = None

    @property
    def collection_path(self) -> str:
        prefix = "/api" if "/" not in self.api_version else "/apis"
        return f"{prefix}/{self.api_version}/{self.plural}"


class _Expired(Exception):
    """The watch's resourceVersion is too old (410 Gone): list again."""


class Reflector:
    """Keeps the store's copy of one resource current; runs in its own daemon thread."""

    def __init__(
        self, rest: KubeRest, resource: Resource, store: ObjectStore, stop: threading.Event
    ) -> None:
        self._rest = rest
        self._resource = resource
        self._store = store
        self._stop = stop
        self._thread = threading.Thread(
            target=self._run, name=f"watch-{resource.kind}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def _selectors(self) -> dict[str, Any]:
        return {
            "labelSelector": self._resource.label_selector,
            "fieldSelector": self._resource.field_selector,
        }

    def _run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                version = self._list()
                backoff = 0.2
                self._watch(version)
            except _Expired:
                log.debug("%s: watch expired, listing again", self._resource.kind)
            except KubeApiError as exc:
                if exc.status == 404:
                    # The CRD is not installed (yet): treat the kind as empty until it is.
                    self._store.replace(self._resource.kind, [])
                level = logging.WARNING if exc.status != 404 else logging.INFO
                log.log(level, "%s: %s; retrying in %.1fs", self._resource.kind, exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception as exc:  # the connection dropped or the server went away
                if self._stop.is_set():
                    return
                log.warning(
                    "%s: watch failed (%s); retrying in %.1fs", self._resource.kind, exc, backoff
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def _list(self) -> str:
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self._rest.request(
                "GET",
                self._resource.collection_path,
                query={**self._selectors(), "limit": 500, "continue": token},
            )
            for item in page.get("items") or ():
                items.append(self._typed(item))
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                version = str((page.get("metadata") or {}).get("resourceVersion") or "")
                break
        self._store.replace(self._resource.kind, items)
        return version

    def _watch(self, version: str) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            for event in self._rest.watch(
                self._resource.collection_path,
                {
                    **self._selectors(),
                    "resourceVersion": version,
                    "allowWatchBookmarks": "true",
                    "timeoutSeconds": WATCH_SECONDS,
                },
                read_timeout=WATCH_SECONDS + 30,
            ):
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        raise _Expired()
                    raise KubeApiError(int(obj.get("code") or 500), str(obj.get("message")))
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                if kind in ("ADDED", "MODIFIED"):
                    self._store.upsert(self._resource.kind, self._typed(obj))
                elif kind == "DELETED":
                    self._store.delete(self._resource.kind, self._typed(obj))
                if self._stop.is_set():
                    return
            if time.monotonic() - started < 1.0:
                self._stop.wait(0.5)  # a stream that ends at once should not spin

    def _typed(self, obj: dict[str, Any]) -> dict[str, Any]:
        """List items lack kind/apiVersion; status writes need them."""
        obj.setdefault("kind", self._resource.kind)
        obj.setdefault("apiVersion", self._resource.api_version)
        return obj
