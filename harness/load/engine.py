"""Run a load spec: start worker processes, pace them together, merge what they measured."""

from __future__ import annotations

import dataclasses
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from harness.load.cpu_sampler import CpuSampler
from harness.load.generator_check import judge_generator
from harness.load.latency_histogram import LatencySummary, SecondLatency, encode, merge
from harness.load.probe import probe_target
from harness.load.result import LoadResult, SecondCounts
from harness.load.spec import DistributedSettings, LoadMode, LoadSpec
from harness.load.worker_messages import (
    GO_PREFIX,
    READY_LINE,
    REPORT_PREFIX,
    WorkerPlan,
    WorkerReport,
    plans_for,
)

_READY_TIMEOUT_S = 60.0
_START_DELAY_S = 0.2  # time for every worker to read GO before the first slot
_EXIT_GRACE_S = 5.0
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
# gevent must patch the standard library before the harness package imports ssl and socket
_MASTER_BOOT = (
    "import gevent.monkey; gevent.monkey.patch_all(); import runpy; "
    "runpy.run_module('harness.load.distributed_master', run_name='__main__', alter_sys=True)"
)
_WORKER_BOOT = (
    "import gevent.monkey; gevent.monkey.patch_all(); import runpy; "
    "runpy.run_module('harness.load.worker_process', run_name='__main__', alter_sys=True)"
)


class LoadRunError(RuntimeError):
    """A worker process failed; the message carries the end of its stderr."""


class _Subprocess:
    """A worker or master subprocess and the line protocol to it."""

    def __init__(self, name: str, boot: str, first_line: str) -> None:
        self.name = name
        self.stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", boot],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
        )
        self._buffer = b""
        self.send(first_line)

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def read_line(self, deadline: float) -> str:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self.failure("did not answer in time")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise self.failure("exited early")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def read_report(self, deadline: float) -> WorkerReport:
        line = self.read_line(deadline)
        if not line.startswith(REPORT_PREFIX):
            raise self.failure(f"sent {line[:80]!r} instead of a report")
        return WorkerReport.from_line(line)

    def failure(self, what: str) -> LoadRunError:
        self.stderr.seek(0)
        tail = self.stderr.read()[-2000:].decode(errors="replace").strip()
        return LoadRunError(
            f"{self.name} {what} (exit code {self.process.poll()}); "
            f"its stderr ends with:\n{tail or '(empty)'}"
        )

    def stop(self, grace_s: float = 0.0) -> None:
        """End the process: wait ``grace_s`` for it to exit by itself, then kill it."""
        try:
            self.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self.stderr.close()


def run_load(
    spec: LoadSpec,
    progress: Callable[[str], None] | None = None,
    distributed: DistributedSettings | None = None,
) -> LoadResult:
    """Probe the target, run the load for ``spec.duration_s`` and return the merged result.

    Workers are local processes (``spec.workers``, default one per core) unless
    ``distributed`` names remote workers joined through locust's master.
    """
    say = progress or (lambda _message: None)
    if distributed is not None:
        spec = _spec_for_remote_workers(spec, distributed)
    probe_status = probe_target(spec)
    plans = plans_for(spec)
    children: list[_Subprocess] = []
    completed = False
    try:
        if distributed is None:
            children = [
                _Subprocess(f"load worker {plan.worker_index}", _WORKER_BOOT, plan.to_json())
                for plan in plans
            ]
        else:
            children = [
                _Subprocess(
                    "distributed load master", _MASTER_BOOT, _master_config(plans, distributed)
                )
            ]
        ready_deadline = (
            time.monotonic()
            + _READY_TIMEOUT_S
            + (distributed.join_timeout_s if distributed else 0.0)
        )
        for child in children:
            if (line := child.read_line(ready_deadline)) != READY_LINE:
                raise child.failure(f"sent {line!r} instead of {READY_LINE}")
        say(f"{len(plans)} load workers ready; running {spec.mode.value} loop")
        sampler = CpuSampler([child.process.pid for child in children]) if not distributed else None
        start_epoch = time.time() + _START_DELAY_S
        for child in children:
            child.send(f"{GO_PREFIX}{start_epoch!r}")
        time.sleep(max(0.0, start_epoch - time.time()))
        if sampler is not None:
            sampler.start()
        time.sleep(spec.duration_s)
        report_deadline = time.monotonic() + 2 * spec.timeout_s + 30.0
        if sampler is not None:
            cpu_samples = sampler.stop()  # only the sending window counts for CPU
            demand_samples = sampler.demand_samples
            reports = [child.read_report(report_deadline) for child in children]
        else:
            reports = [children[0].read_report(report_deadline) for _ in plans]
            cpu_samples = [report.cpu_samples for report in reports]
            demand_samples = [report.cpu_demand_samples for report in reports]
        completed = True
    finally:
        for child in children:
            # after its report a child exits by itself (a master first tells its workers to quit)
            child.stop(grace_s=_EXIT_GRACE_S if completed else 0.0)
    return merge_reports(spec, reports, cpu_samples, probe_status, demand_samples)


def _spec_for_remote_workers(spec: LoadSpec, distributed: DistributedSettings) -> LoadSpec:
    if spec.effective_connections < distributed.expect_workers:
        raise ValueError(
            f"LoadSpec.connections is invalid (got {spec.effective_connections}): a distributed "
            f"run needs at least one connection per remote worker ({distributed.expect_workers})"
        )
    return dataclasses.replace(spec, workers=distributed.expect_workers)


def _master_config(plans: list[WorkerPlan], distributed: DistributedSettings) -> str:
    return json.dumps(
        {
            "plans": [plan.to_json() for plan in plans],
            "bind_host": distributed.bind_host,
            "bind_port": distributed.bind_port,
            "join_timeout_s": distributed.join_timeout_s,
        }
    )


def merge_reports(
    spec: LoadSpec,
    reports: list[WorkerReport],
    cpu_samples: list[list[float]],
    probe_status: int | None,
    demand_samples: list[list[float]] | None = None,
) -> LoadResult:
    """Combine the workers' histograms, counters and time series into one result."""
    latency = merge(r.latency_hdr for r in reports)
    service_time = merge(r.service_time_hdr for r in reports)
    send_lag = merge(r.send_lag_hdr for r in reports)
    errors: dict[str, int] = {}
    seconds: dict[int, list[int]] = {}
    for report in reports:
        for name, count in report.errors_by_class.items():
            errors[name] = errors.get(name, 0) + count
        for second, (responses, failed) in report.per_second.items():
            bucket = seconds.setdefault(int(second), [0, 0])
            bucket[0] += responses
            bucket[1] += failed
    sent = sum(r.sent for r in reports)
    completed = sum(r.completed for r in reports)
    target_rate = spec.rate if spec.mode is LoadMode.OPEN else None
    sent_rate = sent / spec.duration_s
    generator = judge_generator(
        cpu_samples, target_rate, sent_rate, spec.effective_connections, demand_samples or ()
    )
    return LoadResult(
        url=spec.url,
        mode=spec.mode.value,
        target_rate=target_rate,
        connections=spec.effective_connections,
        workers=len(reports),
        keepalive=spec.keepalive,
        duration_s=spec.duration_s,
        sent=sent,
        completed=completed,
        successes=sum(r.successes for r in reports),
        unsent=sum(r.unsent for r in reports),
        errors_by_class=errors,
        achieved_rate=completed / spec.duration_s,
        sent_rate=sent_rate,
        latency=LatencySummary.of(latency),
        service_time=LatencySummary.of(service_time),
        send_lag=LatencySummary.of(send_lag),
        latency_hdr=encode(latency),
        service_time_hdr=encode(service_time),
        send_lag_hdr=encode(send_lag),
        time_series=tuple(
            SecondCounts(second, counts[0], counts[1]) for second, counts in sorted(seconds.items())
        ),
        generator=generator,
        probe_status=probe_status,
        latency_per_second=_merge_seconds(reports),
    )


def _merge_seconds(reports: list[WorkerReport]) -> tuple[SecondLatency, ...]:
    """Each second's latency percentiles over every worker's responses of that second."""
    if any(r.completed and not r.latency_per_second for r in reports):
        return ()  # a worker without per-second histograms: the seconds would miss its share
    by_second: dict[int, list[str]] = {}
    for report in reports:
        for second, encoded in report.latency_per_second.items():
            by_second.setdefault(int(second), []).append(encoded)
    return tuple(
        SecondLatency.of(second, merge(encoded)) for second, encoded in sorted(by_second.items())
    )
