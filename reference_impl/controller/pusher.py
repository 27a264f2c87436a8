"""Pushes each Gateway's routing table to its proxy Pods: PUT http://<podIP>:19000/config."""

from __future__ import annotations

import dataclasses
import http.client
import json
import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reference_impl.controller.constants import ADMIN_PORT
from reference_impl.controller.model import Key
from reference_impl.table_patch import RouteKey, route_key

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ProxyTarget:
    """One running proxy Pod of a Gateway."""

    uid: str
    ip: str


_COMPACT = (",", ":")


@dataclasses.dataclass(frozen=True)
class _ListenerText:
    """One listener as rendered: its settings, and its route entries by key."""

    name: str
    settings: str
    """JSON of the listener without its routes."""
    routes: dict[RouteKey, str]


@dataclasses.dataclass
class _TableState:
    digest: str
    version: int
    body: bytes
    settings: str = "{}"
    """JSON of the table without version and listeners."""
    listeners: list[_ListenerText] | None = None
    """For the next table's patch; None when this table cannot be patched."""
    base_version: int | None = None
    patch: bytes | None = None
    """PATCH body turning table `base_version` into this one, for proxies that hold it."""


class _EntryTexts:
    """JSON and route key of route entries, kept while the same entry objects come back (the
    controller reuses the entries of unchanged routes)."""

    def __init__(self) -> None:
        self._kept: dict[int, tuple[dict[str, Any], RouteKey, str]] = {}
        self._fresh: dict[int, tuple[dict[str, Any], RouteKey, str]] = {}

    def keyed_text(self, entry: dict[str, Any]) -> tuple[dict[str, Any], RouteKey, str]:
        """(entry, its route key, its JSON)."""
        found = self._fresh.get(id(entry)) or self._kept.get(id(entry))
        if found is None or found[0] is not entry:
            found = (
                entry,
                route_key(entry),
                json.dumps(entry, sort_keys=True, separators=_COMPACT),
            )
        self._fresh[id(entry)] = found
        return found

    def commit(self) -> None:
        self._kept, self._fresh = self._fresh, {}


def _with_field(obj_text: str, name: str, value_text: str) -> str:
    """A JSON object's text with one more field at its end."""
    inner = obj_text[1:-1]
    return f'{{{inner}{"," if inner else ""}"{name}":{value_text}}}'


def render_table(
    table: Mapping[str, Any], texts: _EntryTexts
) -> tuple[str, str, list[_ListenerText] | None]:
    """The table's JSON (without version), that without listeners, and its listeners for
    patching (None if it cannot be patched: listener names or route keys that repeat)."""
    top = {k: v for k, v in table.items() if k not in ("listeners", "version")}
    listeners: list[_ListenerText] = []
    parts: list[str] = []
    patchable = True
    for listener in table.get("listeners") or ():
        settings = json.dumps(
            {k: v for k, v in listener.items() if k != "routes"},
            sort_keys=True,
            separators=_COMPACT,
        )
        entries = [texts.keyed_text(entry) for entry in listener.get("routes") or ()]
        entry_texts = [text for _, _, text in entries]
        routes = {key: text for _, key, text in entries}
        listeners.append(_ListenerText(str(listener.get("name")), settings, routes))
        if "routes" not in listener:  # not a table this controller makes: sent as it is
            patchable = False
            parts.append(settings)
            continue
        patchable = patchable and len(routes) == len(entries)
        parts.append(_with_field(settings, "routes", f"[{','.join(entry_texts)}]"))
    patchable = patchable and len({item.name for item in listeners}) == len(listeners)
    top_text = json.dumps(top, sort_keys=True, separators=_COMPACT)
    digest = _with_field(top_text, "listeners", f"[{','.join(parts)}]")
    return digest, top_text, listeners if patchable else None


def patch_body(
    settings: str,
    before: list[_ListenerText],
    after: list[_ListenerText],
    base_version: int,
    version: int,
) -> bytes:
    """The PATCH /config body from table `base_version` (listeners `before`) to `after`."""
    previous = {item.name: item for item in before}
    parts: list[str] = []
    for item in after:
        old = previous.get(item.name)
        if old is None or old.settings != item.settings:
            parts.append(
                _with_field(item.settings, "routes", f"[{','.join(item.routes.values())}]")
            )
            continue
        changed = [text for key, text in item.routes.items() if old.routes.get(key) != text]
        removed = [
            json.dumps({"kind": k[0], "namespace": k[1], "name": k[2]}, separators=_COMPACT)
            for k in old.routes
            if k not in item.routes
        ]
        changes = f'{{"remove":[{",".join(removed)}],"set":[{",".join(changed)}]}}'
        parts.append(_with_field(item.settings, "routeChanges", changes))
    inner = _with_field(settings, "listeners", f"[{','.join(parts)}]")[1:-1]
    return f'{{"baseVersion":{base_version},"version":{version},{inner}}}'.encode()


def next_version(previous: int | None) -> int:
    """Strictly increasing, also across controller restarts: milliseconds since the epoch."""
    now_ms = time.time_ns() // 1_000_000
    return now_ms if previous is None or now_ms > previous else previous + 1


def table_json(table: Mapping[str, Any]) -> str:
    """The table as compact JSON with sorted keys: its identity, and the body's content."""
    if "version" in table:  # the pusher owns the version
        table = {k: v for k, v in table.items() if k != "version"}
    return json.dumps(table, sort_keys=True, separators=(",", ":"))


def versioned_body(digest: str, version: int) -> bytes:
    """The PUT /config body: the table's JSON with `version` in front, serialised once."""
    inner = digest[1:-1]
    return f'{{"version":{version}{"," if inner else ""}{inner}}}'.encode()


class Pusher:
    """Delivers the latest table of every Gateway to every one of its proxies, with retries."""

    def __init__(self, admin_port: int = ADMIN_PORT, timeout: float = 3.0) -> None:
        self._admin_port = admin_port
        self._timeout = timeout
        self._lock = threading.Lock()
        self._delivery = threading.Condition(self._lock)
        """Notified whenever a proxy accepts a table."""
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._tables: dict[Key, _TableState] = {}
        self._connections: dict[str, http.client.HTTPConnection] = {}
        """Kept-alive admin connections by proxy Pod (one push per Pod at a time)."""
        self._texts = _EntryTexts()
        self._targets: dict[Key, list[ProxyTarget]] = {}
        self._delivered: dict[str, int] = {}
        self._failures: dict[str, int] = {}
        self._retry_at: dict[str, float] = {}
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="push")
        self._thread = threading.Thread(target=self._run, name="pusher", daemon=True)
        self.pushes = 0
        self.failed_pushes = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            connections, self._connections = list(self._connections.values()), {}
        for conn in connections:
            conn.close()

    def update(
        self, tables: Mapping[Key, dict[str, Any]], targets: Mapping[Key, list[ProxyTarget]]
    ) -> bool:
        """New desired tables and proxy Pods; changed tables get a new version (True then)."""
        changed = False
        with self._lock:
            for key, table in tables.items():
                digest, settings, listeners = render_table(table, self._texts)
                state = self._tables.get(key)
                if state is None or state.digest != digest:
                    version = next_version(state.version if state else None)
                    fresh = _TableState(
                        digest, version, versioned_body(digest, version), settings, listeners
                    )
                    if (
                        state is not None
                        and state.listeners is not None
                        and listeners is not None
                        and state.settings == settings
                    ):
                        fresh.base_version = state.version
                        fresh.patch = patch_body(
                            settings, state.listeners, listeners, state.version, version
                        )
                    self._tables[key] = fresh
                    changed = True
            self._texts.commit()
            for key in set(self._tables) - set(tables):
                del self._tables[key]
            self._targets = {key: list(pods) for key, pods in targets.items()}
            live = {pod.uid for pods in self._targets.values() for pod in pods}
            for uid in set(self._delivered) - live:
                self._delivered.pop(uid, None)
                self._failures.pop(uid, None)
                self._retry_at.pop(uid, None)
            gone = [self._connections.pop(uid) for uid in set(self._connections) - live]
        for conn in gone:
            conn.close()
        self._wake.set()
        return changed

    def wait_delivered(self, timeout: float) -> bool:
        """Until every known proxy holds its Gateway's current table; False after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._delivery:
            while not self._all_delivered():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._delivery.wait(remaining)
        return True

    def _all_delivered(self) -> bool:
        for key, pods in self._targets.items():
            state = self._tables.get(key)
            if state is None:
                continue
            if any(self._delivered.get(pod.uid) != state.version for pod in pods):
                return False
        return True

    def version_of(self, key: Key) -> int | None:
        """The version of the Gateway's current table."""
        with self._lock:
            state = self._tables.get(key)
            return state.version if state else None

    def delivered(self, uid: str) -> int | None:
        """The table version a proxy Pod has accepted."""
        with self._lock:
            return self._delivered.get(uid)

    def _due(self) -> tuple[list[tuple[ProxyTarget, _TableState]], float | None]:
        now = time.monotonic()
        due: list[tuple[ProxyTarget, _TableState]] = []
        next_retry: float | None = None
        with self._lock:
            for key, pods in self._targets.items():
                state = self._tables.get(key)
                if state is None:
                    continue
                for pod in pods:
                    if self._delivered.get(pod.uid) == state.version:
                        continue
                    at = self._retry_at.get(pod.uid, 0.0)
                    if at <= now:
                        due.append((pod, state))
                    else:
                        next_retry = at if next_retry is None else min(next_retry, at)
        return due, next_retry

    def _overtake(self, state: _TableState, answer: str) -> None:
        """The proxy holds a newer version (another controller run): continue above it."""
        try:
            in_force = int(json.loads(answer)["version"])
        except (ValueError, KeyError, TypeError):
            return
        with self._lock:
            if state.version <= in_force:
                state.version = max(in_force + 1, next_version(state.version))
                state.body = versioned_body(state.digest, state.version)
                state.patch = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            due, next_retry = self._due()
            if due:
                for job in [self._pool.submit(self._push, pod, state) for pod, state in due]:
                    job.result()
                continue
            timeout = None if next_retry is None else max(0.0, next_retry - time.monotonic())
            self._wake.wait(timeout)

    def _exchange(self, pod: ProxyTarget, patch: bytes | None, body: bytes) -> tuple[int, str]:
        """PATCH (when given), else or on refusal PUT, over the pod's kept-alive connection;
        a kept connection the proxy closed meanwhile is replaced once."""
        with self._lock:
            kept = self._connections.pop(pod.uid, None)
        if kept is not None:
            try:
                return self._exchange_on(kept, pod, patch, body)
            except OSError:
                kept.close()
        conn = http.client.HTTPConnection(pod.ip, self._admin_port, timeout=self._timeout)
        try:
            return self._exchange_on(conn, pod, patch, body)
        except OSError:
            conn.close()
            raise

    def _exchange_on(
        self, conn: http.client.HTTPConnection, pod: ProxyTarget, patch: bytes | None, body: bytes
    ) -> tuple[int, str]:
        status = 0
        if patch is not None:
            # Only the changes; on any refusal (another base in force) the whole table.
            status, answer = _request(conn, "PATCH", patch)
        if status != 200:
            status, answer = _request(conn, "PUT", body)
        with self._lock:  # kept for the next push while the Pod is a target
            if any(pod.uid == p.uid for pods in self._targets.values() for p in pods):
                self._connections[pod.uid] = conn
                return status, answer
        conn.close()
        return status, answer

    def _push(self, pod: ProxyTarget, state: _TableState) -> None:
        started = time.monotonic()
        with self._lock:
            patch = state.patch
            if self._delivered.get(pod.uid) != state.base_version:
                patch = None
        try:
            status, answer = self._exchange(pod, patch, state.body)
            ok = status == 200
            problem = f"HTTP {status}: {answer}"
            if status == 409:
                self._overtake(state, answer)
        except OSError as exc:
            ok, problem = False, str(exc)
        with self._lock:
            if ok:
                self._delivered[pod.uid] = state.version
                self._failures.pop(pod.uid, None)
                self._retry_at.pop(pod.uid, None)
                self.pushes += 1
                self._delivery.notify_all()
            else:
                self.failed_pushes += 1
                failures = self._failures.get(pod.uid, 0) + 1
                self._failures[pod.uid] = failures
                self._retry_at[pod.uid] = time.monotonic() + min(0.1 * 2**failures, 5.0)
        if ok:
            log.info(
                "proxy %s accepted table version %d in %.1f ms",
                pod.ip,
                state.version,
                (time.monotonic() - started) * 1000,
            )
        else:
            log.log(
                logging.WARNING if failures >= 8 else logging.DEBUG,  # ~20 s: not a start-up
                "push of version %d to proxy %s failed (%s)",
                state.version,
                pod.ip,
                problem,
            )


def _request(conn: http.client.HTTPConnection, method: str, body: bytes) -> tuple[int, str]:
    conn.request(method, "/config", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()[:500].decode(errors="replace")
