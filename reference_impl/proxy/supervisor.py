"""The parent process: starts workers, pushes tables to all of them, restarts the ones that die."""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("reference_impl.proxy")

_PUSH_TIMEOUT = 30.0


@dataclass
class WorkerHandle:
    """One worker process and its control channel."""

    index: int
    process: subprocess.Popen[bytes]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter


class Supervisor:
    """Owns the workers; `push` returns only once every worker serves the new table."""

    def __init__(self, workers: int, listen_address: str, log_level: str) -> None:
        self.count = workers
        self.listen_address = listen_address
        self.log_level = log_level
        self.workers: list[WorkerHandle | None] = [None] * workers
        self.current: Callable[[], bytes] | None = None
        """The full table in force, serialised on demand for a (re)started worker."""
        self.lock = asyncio.Lock()
        self.stopping = False

    async def start(self) -> None:
        """Start every worker."""
        for i in range(self.count):
            self.workers[i] = await self._spawn(i)

    async def _spawn(self, index: int) -> WorkerHandle:
        parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        cmd = [
            sys.executable,
            "-m",
            "reference_impl.proxy.worker",
            "--control-fd",
            str(child_sock.fileno()),
            "--listen-address",
            self.listen_address,
            "--log-level",
            self.log_level,
        ]
        process = subprocess.Popen(cmd, pass_fds=[child_sock.fileno()])
        child_sock.close()
        reader, writer = await asyncio.open_unix_connection(sock=parent_sock)
        line = await asyncio.wait_for(reader.readline(), _PUSH_TIMEOUT)
        if line != b"ready\n":
            process.kill()
            raise RuntimeError(f"worker {index} did not start (said {line!r})")
        handle = WorkerHandle(index, process, reader, writer)
        if self.current is not None:
            error = await self._send(handle, self.current())
            if error:
                log.error("worker %d rejected the current table: %s", index, error)
        return handle

    async def _send(self, handle: WorkerHandle, raw: bytes) -> str | None:
        """Send one table to one worker; an error text, or None."""
        try:
            handle.writer.write(b"%d\n" % len(raw) + raw)
            await handle.writer.drain()
            line = await asyncio.wait_for(handle.reader.readline(), _PUSH_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            return f"worker {handle.index} did not answer: {exc}"
        text = line.decode(errors="replace").strip()
        if text.startswith("ok "):
            return None
        return f"worker {handle.index}: {text.removeprefix('err ') or 'no answer'}"

    async def push(self, raw: bytes, full: Callable[[], bytes]) -> list[str]:
        """Send a validated table or patch to all workers; the errors, empty when all took it.

        `full` gives the whole resulting table, for workers started later.
        """
        async with self.lock:
            handles = [h for h in self.workers if h is not None]
            results = await asyncio.gather(*(self._send(h, raw) for h in handles))
            errors = [r for r in results if r]
            if not errors:
                self.current = functools.cache(full)
            return errors

    async def watch(self) -> None:
        """Restart workers that exit; they get the table in force before serving."""
        while not self.stopping:
            await asyncio.sleep(0.5)
            for i, handle in enumerate(self.workers):
                if handle is None or handle.process.poll() is None:
                    continue
                log.error("worker %d exited with %s; restarting", i, handle.process.returncode)
                handle.writer.close()
                async with self.lock:
                    try:
                        self.workers[i] = await self._spawn(i)
                    except (OSError, RuntimeError, TimeoutError) as exc:
                        log.error("restarting worker %d failed: %s", i, exc)

    def stop(self) -> None:
        """Terminate every worker and wait for them."""
        self.stopping = True
        for handle in self.workers:
            if handle is not None and handle.process.poll() is None:
                handle.process.terminate()
        for handle in self.workers:
            if handle is None:
                continue
            try:
                handle.process.wait(15)  # workers drain requests in flight for up to 10s
            except subprocess.TimeoutExpired:
                handle.process.kill()
                handle.process.wait()
