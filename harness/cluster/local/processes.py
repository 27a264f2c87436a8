"""Start, identify and stop the long-lived processes of a local cluster."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import psutil


def start_daemon(
    argv: Sequence[str], log_path: Path, env: dict[str, str] | None = None
) -> tuple[int, float]:
    """Start a process detached from the caller's session; return (pid, start time)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # survives the CLI's exit and its Ctrl-C
            close_fds=True,
        )
    return proc.pid, psutil.Process(proc.pid).create_time()


def is_running(pid: int, start_time: float | None) -> bool:
    try:
        p = psutil.Process(pid)
        if p.status() == psutil.STATUS_ZOMBIE:
            return False
        return start_time is None or abs(p.create_time() - start_time) < 0.01
    except psutil.Error:
        return False


def exited_early(pid: int) -> int | None:
    """The exit code if `pid` (our child) has ended, else None."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None if psutil.pid_exists(pid) else -1
    if done == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def stop(pids: Iterable[int], timeout: float) -> None:
    """SIGTERM every pid, wait up to `timeout`, then SIGKILL what is left."""
    procs: list[psutil.Process] = []
    for pid in pids:
        try:
            p = psutil.Process(pid)
            p.send_signal(signal.SIGTERM)
            procs.append(p)
        except psutil.Error:
            continue
    _gone, alive = psutil.wait_procs(procs, timeout=timeout)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=2)
    _reap()


def _reap() -> None:
    """Collect exited children so they do not linger as zombies in this process."""
    try:
        while True:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return
    except ChildProcessError:
        return


def processes_referencing(marker: str) -> list[psutil.Process]:
    """Processes whose command line names `marker` (a cluster's state folder), minus ourselves."""
    me = os.getpid()
    found = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        try:
            if p.info["pid"] == me:
                continue
            cmdline = p.info["cmdline"] or []
            if any(marker in arg for arg in cmdline):
                found.append(p)
        except psutil.Error:
            continue
    return found


def wait_port_free(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not port_in_use(port):
            return True
        time.sleep(0.05)
    return False


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
