"""Once-per-run work shared by pytest-xdist workers: one creates, the others wait.

A run folder holds a lock file and a marker. The first worker to take the lock
and find no marker does the work and writes the marker ("ready" or the error);
the others block on the lock, then read the marker.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


class SharedSetupFailed(RuntimeError):
    """The worker that ran the shared setup failed; carries its message."""


def run_once(run_dir: Path, name: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``work`` in exactly one process per ``run_dir``; everyone gets its result.

    ``work`` returns JSON-able data that is stored in the marker. A failure is
    stored too, so the waiting workers fail with the same message instead of retrying.
    """
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    marker = run_dir / f"{name}.json"
    with open(run_dir / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # blocks while another worker does the work
        try:
            if marker.exists():
                return _read(marker)
            try:
                data = {"ok": True, "data": work(), "pid": os.getpid()}
            except Exception as exc:
                data = {
                    "ok": False,
                    "error": f"{exc.__class__.__name__}: {exc}",
                    "pid": os.getpid(),
                }
            tmp = marker.with_suffix(".tmp")
            tmp.write_text(json.dumps(data))
            tmp.replace(marker)
            return _read(marker)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read(marker: Path) -> dict[str, Any]:
    data = json.loads(marker.read_text())
    if not data.get("ok"):
        raise SharedSetupFailed(f"shared setup failed in worker {data.get('pid')}: {data['error']}")
    result = data["data"]
    assert isinstance(result, dict)
    return result


def was_done(run_dir: Path, name: str) -> dict[str, Any] | None:
    """The stored result if the work ran successfully in this run, else None."""
    marker = run_dir / f"{name}.json"
    if not marker.exists():
        return None
    try:
        return _read(marker)
    except SharedSetupFailed:
        return None
