"""Starting container processes inside a pod's netns, and noticing when they exit (pidfds)."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import selectors
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from harness.cluster.local.nodeagent.volumes import BindMount

log = logging.getLogger(__name__)


def launch_argv(netns_path: str, argv: Sequence[str], mounts: Sequence[BindMount]) -> list[str]:
    """The command line that runs `argv` in the pod's netns (and a private mount namespace).

    nsenter and unshare exec rather than fork, so the started pid is the container's process.
    """
    command = ["nsenter", f"--net={netns_path}", "--"]
    if not mounts:
        return [*command, *argv]
    binds = "; ".join(
        f"mount --bind {shlex.quote(str(m.source))} {shlex.quote(m.target)}" for m in mounts
    )
    script = f'set -e; {binds}; exec "$@"'
    return [
        *command, "unshare", "--mount", "--propagation", "private", "--",
        "/bin/sh", "-c", script, "sh", *argv,
    ]  # fmt: skip


def start_process(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, log_path: Path
) -> subprocess.Popen[bytes]:
    """Start a container process with stdout+stderr appended to its log file."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab", buffering=0) as log_file:
        return subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: signals to the agent don't reach it
            close_fds=True,
        )


class Scheduler:
    """Runs small callbacks at given monotonic times, on one thread."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()

    def call_at(self, when: float, callback: Callable[[], None]) -> None:
        with self._cond:
            heapq.heappush(self._heap, (when, next(self._counter), callback))
            self._cond.notify()

    def call_later(self, delay: float, callback: Callable[[], None]) -> None:
        self.call_at(time.monotonic() + delay, callback)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopped:
                    return
                _, _, callback = heapq.heappop(self._heap)
            try:
                callback()
            except Exception:
                log.exception("scheduled callback failed")


class ProcessMonitor:
    """Calls a callback once a watched process exits, using pidfds on one thread."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._pending: list[tuple[int, Callable[[], None]]] = []
        self._lock = threading.Lock()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="process-monitor", daemon=True)
        self._thread.start()

    def watch(self, pid: int, on_exit: Callable[[], None]) -> None:
        with self._lock:
            self._pending.append((pid, on_exit))
        os.write(self._wake_w, b"x")

    def stop(self) -> None:
        self._stopped = True
        os.write(self._wake_w, b"x")

    def _register_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for pid, on_exit in pending:
            try:
                fd = os.pidfd_open(pid)
            except ProcessLookupError:
                on_exit()  # already gone (and perhaps reaped)
                continue
            self._selector.register(fd, selectors.EVENT_READ, on_exit)

    def _run(self) -> None:
        while not self._stopped:
            for key, _ in self._selector.select():
                if key.data is None:
                    with contextlib.suppress(BlockingIOError):
                        os.read(self._wake_r, 4096)
                    self._register_pending()
                    continue
                self._selector.unregister(key.fd)
                os.close(key.fd)
                try:
                    key.data()
                except Exception:
                    log.exception("process exit callback failed")
