"""Thin raw-JSON access to the API server: clients from a kubeconfig and list+watch informers."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

log = logging.getLogger(__name__)

Obj = dict[str, Any]
# (event type "ADDED" | "MODIFIED" | "DELETED", object)
EventHandler = Callable[[str, Obj], None]
ListFunc = Callable[..., Any]


def api_client(kubeconfig: Path) -> client.ApiClient:
    """An API client for the kubeconfig, with a pool big enough for the agent's threads."""
    configuration = client.Configuration()
    config.load_kube_config(  # type: ignore[no-untyped-call]
        config_file=str(kubeconfig), client_configuration=configuration
    )
    configuration.connection_pool_maxsize = 32
    return client.ApiClient(configuration)


def raw(response: Any) -> Obj:
    """Decode a `_preload_content=False` response into a dict."""
    data: Obj = json.loads(response.data)
    return data


def is_status(exc: BaseException, *codes: int) -> bool:
    return isinstance(exc, ApiException) and exc.status in codes


class Informer:
    """Lists then watches one resource and hands every change to a handler, in one thread.

    After a (re)list the handler gets "ADDED" for every object and "DELETED" for objects that
    vanished while the watch was down, so the handler always converges to the server's state.
    """

    def __init__(
        self,
        name: str,
        list_func: ListFunc,
        handler: EventHandler,
        *,
        on_synced: Callable[[], None] | None = None,
        **list_kwargs: Any,
    ) -> None:
        self.name = name
        self._list = list_func
        self._handler = handler
        self._on_synced = on_synced
        self._kwargs = list_kwargs
        self._known: dict[str, Obj] = {}
        self._stop = threading.Event()
        self.synced = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"informer-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    @staticmethod
    def _key(obj: Obj) -> str:
        meta = obj.get("metadata", {})
        return f"{meta.get('namespace', '')}/{meta.get('name', '')}"

    def _dispatch(self, event_type: str, obj: Obj) -> None:
        key = self._key(obj)
        if event_type == "DELETED":
            self._known.pop(key, None)
        else:
            self._known[key] = obj
        try:
            self._handler(event_type, obj)
        except Exception:
            log.exception("%s informer: handler failed on %s %s", self.name, event_type, key)

    def _relist(self) -> str:
        listing = raw(self._list(_preload_content=False, **self._kwargs))
        seen: set[str] = set()
        for item in listing.get("items", []):
            seen.add(self._key(item))
            self._dispatch("ADDED", item)
        for key in list(self._known):
            if key not in seen:
                self._dispatch("DELETED", self._known[key])
        if not self.synced.is_set():
            self.synced.set()
            if self._on_synced:
                self._on_synced()
        return str(listing.get("metadata", {}).get("resourceVersion", ""))

    def _run(self) -> None:
        resource_version = ""
        while not self._stop.is_set():
            try:
                if not resource_version:
                    resource_version = self._relist()
                resource_version = self._watch(resource_version)
            except Exception as exc:
                if is_status(exc, 410):
                    resource_version = ""
                    continue
                log.warning("%s informer: %s; retrying", self.name, exc)
                resource_version = ""
                self._stop.wait(1.0)

    def _watch(self, resource_version: str) -> str:
        resp = self._list(
            watch=True,
            _preload_content=False,
            resource_version=resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=240,
            **self._kwargs,
        )
        try:
            for line in iter_resp_lines(resp):  # type: ignore[no-untyped-call]
                if self._stop.is_set():
                    break
                if not line or line.isspace():
                    continue
                event = json.loads(line)
                event_type, obj = event["type"], event["object"]
                if event_type == "ERROR":
                    if obj.get("code") == 410:
                        return ""
                    raise RuntimeError(f"watch error: {obj.get('message')}")
                resource_version = obj.get("metadata", {}).get("resourceVersion", resource_version)
                if event_type == "BOOKMARK":
                    continue
                self._dispatch(event_type, obj)
        finally:
            resp.release_conn()
        return resource_version


def retry(call: Callable[[], Any], *, what: str, attempts: int = 5) -> Any:
    """Run an API call, retrying conflicts and transient errors a bounded number of times."""
    delay = 0.1
    for attempt in range(attempts):
        try:
            return call()
        except ApiException as exc:
            if exc.status in (404, 422, 400, 403) or attempt == attempts - 1:
                raise
            log.debug("%s: %s (retrying)", what, exc.reason)
        except Exception as exc:  # connection errors while the API server restarts
            if attempt == attempts - 1:
                raise
            log.debug("%s: %s (retrying)", what, exc)
        time.sleep(delay)
        delay = min(delay * 2, 2.0)
    return None
