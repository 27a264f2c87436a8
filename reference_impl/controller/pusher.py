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

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ProxyTarget:
    """One running proxy Pod of a Gateway."""

    uid: str
    ip: str


@dataclasses.dataclass
class _TableState:
    digest: str
    version: int
    body: bytes


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
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._tables: dict[Key, _TableState] = {}
        self._targets: dict[Key, list[ProxyTarget]] = {}
        self._delivered: dict[str, int] = {}
        self._failures: dict[str, int] = {}
        self._retry_at: dict[str, float] = {}
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="push")
        self._thread = threading.Thread(target=self._run, name="pusher", daemon=True)
        self.pushes = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def update(
        self, tables: Mapping[Key, dict[str, Any]], targets: Mapping[Key, list[ProxyTarget]]
    ) -> None:
        """New desired tables and proxy Pods; changed tables get a new version."""
        with self._lock:
            for key, table in tables.items():
                digest = table_json(table)
                state = self._tables.get(key)
                if state is None or state.digest != digest:
                    version = next_version(state.version if state else None)
                    self._tables[key] = _TableState(
                        digest, version, versioned_body(digest, version)
                    )
            for key in set(self._tables) - set(tables):
                del self._tables[key]
            self._targets = {key: list(pods) for key, pods in targets.items()}
            live = {pod.uid for pods in self._targets.values() for pod in pods}
            for uid in set(self._delivered) - live:
                self._delivered.pop(uid, None)
                self._failures.pop(uid, None)
                self._retry_at.pop(uid, None)
        self._wake.set()

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

    def _push(self, pod: ProxyTarget, state: _TableState) -> None:
        started = time.monotonic()
        try:
            conn = http.client.HTTPConnection(pod.ip, self._admin_port, timeout=self._timeout)
            try:
                conn.request(
                    "PUT", "/config", body=state.body, headers={"Content-Type": "application/json"}
                )
                response = conn.getresponse()
                answer = response.read()[:500].decode(errors="replace")
            finally:
                conn.close()
            ok = response.status == 200
            problem = f"HTTP {response.status}: {answer}"
            if response.status == 409:
                self._overtake(state, answer)
        except OSError as exc:
            ok, problem = False, str(exc)
        with self._lock:
            if ok:
                self._delivered[pod.uid] = state.version
                self._failures.pop(pod.uid, None)
                self._retry_at.pop(pod.uid, None)
                self.pushes += 1
            else:
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
