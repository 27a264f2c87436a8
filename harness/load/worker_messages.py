"""What the engine tells a worker process, and what the worker reports back (JSON lines)."""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.load.spec import LoadMode, LoadSpec

READY_LINE = "READY"
GO_PREFIX = "GO "
REPORT_PREFIX = "REPORT "


@dataclass(frozen=True)
class WorkerPlan:
    """One worker's share of a run."""

    worker_index: int
    workers: int
    mode: str
    rate: float  # total over all workers; 0 in closed loop
    users: int  # this worker's connections
    duration_s: float
    scheme: str
    host: str
    port: int
    request_target: str
    method: str
    headers: dict[str, str]
    body_b64: str
    expect_status: list[int] | None
    timeout_s: float
    ca_file: str | None
    server_name: str
    insecure: bool

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> WorkerPlan:
        return cls(**json.loads(text))

    @property
    def body(self) -> bytes:
        return base64.b64decode(self.body_b64)


def split_connections(total: int, workers: int) -> list[int]:
    """Spread connections over workers as evenly as possible."""
    base, extra = divmod(total, workers)
    return [base + (1 if index < extra else 0) for index in range(workers)]


def request_headers(spec: LoadSpec) -> dict[str, str]:
    """The headers every request carries, with Host and Connection applied."""
    headers = dict(spec.headers)
    lowered = {name.lower() for name in headers}
    if spec.host_header is not None and "host" not in lowered:
        headers["Host"] = spec.host_header
    if not spec.keepalive:
        headers["Connection"] = "close"
    return headers


def plans_for(spec: LoadSpec) -> list[WorkerPlan]:
    workers = spec.effective_workers
    return [
        WorkerPlan(
            worker_index=index,
            workers=workers,
            mode=spec.mode.value,
            rate=spec.rate if spec.mode is LoadMode.OPEN and spec.rate else 0.0,
            users=users,
            duration_s=spec.duration_s,
            scheme=spec.scheme,
            host=spec.target_host,
            port=spec.target_port,
            request_target=spec.request_target,
            method=spec.method.upper(),
            headers=request_headers(spec),
            body_b64=base64.b64encode(spec.body).decode("ascii"),
            expect_status=sorted(spec.expect_status) if spec.expect_status else None,
            timeout_s=spec.timeout_s,
            ca_file=str(spec.tls.ca_file) if spec.tls.ca_file else None,
            server_name=spec.sni_name,
            insecure=spec.tls.insecure,
        )
        for index, users in enumerate(split_connections(spec.effective_connections, workers))
    ]


@dataclass(frozen=True)
class WorkerReport:
    """Everything one worker measured."""

    worker_index: int
    latency_hdr: str  # from the intended send time (open loop) or the send (closed)
    service_time_hdr: str  # from the moment the request was actually sent
    send_lag_hdr: str  # actual send minus intended send
    sent: int
    completed: int
    successes: int
    errors_by_class: dict[str, int]
    per_second: dict[str, list[int]]  # second index -> [responses, errors]
    unsent: int  # open loop: slots still waiting for a free connection when the run ended
    started_epoch: float
    finished_epoch: float
    # sampled by the worker itself (remote workers); local ones are sampled by the engine
    cpu_samples: list[float] = field(default_factory=list)
    cpu_demand_samples: list[float] = field(default_factory=list)
    # second index (as in per_second) -> latency HDR of that second; empty from a worker
    # that predates it, and then the run has no per-second latency
    latency_per_second: dict[str, str] = field(default_factory=dict)

    def to_line(self) -> str:
        return REPORT_PREFIX + json.dumps(asdict(self))

    @classmethod
    def from_line(cls, line: str) -> WorkerReport:
        return cls.from_dict(json.loads(line[len(REPORT_PREFIX) :]))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkerReport:
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
