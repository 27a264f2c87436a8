"""Once-per-run setup shared by processes: exactly one does the work, all see its result."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest

from harness.conformance.coordination import SharedSetupFailed, run_once, was_done


def _work_and_log(log: Path) -> dict[str, Any]:
    with open(log, "a") as handle:
        handle.write(f"{os.getpid()}\n")
    return {"creator": os.getpid()}


def _worker(run_dir: str, log: str, queue: Any) -> None:
    result = run_once(Path(run_dir), "base", lambda: _work_and_log(Path(log)))
    queue.put(result["creator"])


def test_exactly_one_process_does_the_work(tmp_path: Path) -> None:
    log = tmp_path / "log"
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(tmp_path), str(log), queue)) for _ in range(4)]
    for proc in procs:
        proc.start()
    creators = {queue.get(timeout=30) for _ in procs}
    for proc in procs:
        proc.join(timeout=30)
    assert len(log.read_text().split()) == 1
    assert creators == {int(log.read_text())}
    assert was_done(tmp_path, "base") == {"creator": int(log.read_text())}


def test_failure_is_shared_not_retried(tmp_path: Path) -> None:
    calls: list[int] = []

    def broken() -> dict[str, Any]:
        calls.append(1)
        raise RuntimeError("apply failed: quota")

    for _ in range(2):
        with pytest.raises(SharedSetupFailed, match="apply failed: quota"):
            run_once(tmp_path, "base", broken)
    assert calls == [1]
    assert was_done(tmp_path, "base") is None
