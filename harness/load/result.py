"""The outcome of a load run, merged over all workers, with a versioned JSON form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hdrh.histogram import HdrHistogram

from harness.load.generator_check import GeneratorVerdict
from harness.load.latency_histogram import LatencySummary, SecondLatency, decode

RESULT_SCHEMA = "gateway-harness/load-result/v1"


@dataclass(frozen=True)
class SecondCounts:
    """Responses and errors that completed in one second of the run."""

    second: int
    responses: int
    errors: int


@dataclass(frozen=True)
class LoadResult:
    """What a run measured; latencies in microseconds."""

    url: str
    mode: str
    target_rate: float | None
    connections: int
    workers: int
    keepalive: bool
    duration_s: float
    sent: int
    completed: int
    successes: int
    unsent: int  # open loop: slots still waiting for a free connection when the run ended
    errors_by_class: dict[str, int]
    achieved_rate: float  # completed requests per second of the run
    sent_rate: float
    latency: LatencySummary  # open loop: from the intended send time (no coordinated omission)
    service_time: LatencySummary  # from the actual send
    send_lag: LatencySummary  # actual minus intended send time
    latency_hdr: str
    service_time_hdr: str
    send_lag_hdr: str
    time_series: tuple[SecondCounts, ...]
    generator: GeneratorVerdict
    probe_status: int | None
    # the seconds of time_series, with the percentiles of ``latency`` over each second's
    # responses; empty in results saved before it existed
    latency_per_second: tuple[SecondLatency, ...] = ()

    @property
    def errors(self) -> int:
        return sum(self.errors_by_class.values())

    @property
    def generator_bound(self) -> bool:
        return self.generator.bound

    def latency_histogram(self) -> HdrHistogram:
        return decode(self.latency_hdr)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadResult:
        """Read back what ``to_dict`` wrote (same schema version only; keys added within the
        version, such as ``latency_per_second``, may be absent)."""
        if data.get("schema") != RESULT_SCHEMA:
            raise ValueError(
                f"load result schema {data.get('schema')!r} is not {RESULT_SCHEMA!r}; "
                "read it with the gateway-harness version that wrote it"
            )
        requests, histograms, generator = data["requests"], data["histograms"], data["generator"]
        return cls(
            url=data["url"],
            mode=data["mode"],
            target_rate=data["target_rate_rps"],
            connections=data["connections"],
            workers=data["workers"],
            keepalive=data["keepalive"],
            duration_s=data["duration_s"],
            sent=requests["sent"],
            completed=requests["completed"],
            successes=requests["successes"],
            unsent=requests["unsent"],
            errors_by_class=dict(data["errors_by_class"]),
            achieved_rate=data["achieved_rate_rps"],
            sent_rate=data["sent_rate_rps"],
            latency=LatencySummary.from_dict(data["latency"]),
            service_time=LatencySummary.from_dict(data["service_time"]),
            send_lag=LatencySummary.from_dict(data["send_lag"]),
            latency_hdr=histograms["latency"],
            service_time_hdr=histograms["service_time"],
            send_lag_hdr=histograms["send_lag"],
            time_series=tuple(
                SecondCounts(s["second"], s["responses"], s["errors"]) for s in data["time_series"]
            ),
            generator=GeneratorVerdict(
                bound=generator["generator_bound"],
                reasons=tuple(generator["reasons"]),
                worker_cpu_mean_percent=tuple(generator["worker_cpu_mean_percent"]),
                worker_cpu_max_percent=tuple(generator["worker_cpu_max_percent"]),
                worker_cpu_demand_mean_percent=tuple(generator["worker_cpu_demand_mean_percent"]),
            ),
            probe_status=data["probe_status"],
            latency_per_second=tuple(
                SecondLatency.from_dict(s) for s in data.get("latency_per_second", [])
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; field names are stable within one schema version (new ones may
        be added: readers of the version ignore keys they do not know)."""
        return {
            "schema": RESULT_SCHEMA,
            "url": self.url,
            "mode": self.mode,
            "target_rate_rps": self.target_rate,
            "connections": self.connections,
            "workers": self.workers,
            "keepalive": self.keepalive,
            "duration_s": self.duration_s,
            "requests": {
                "sent": self.sent,
                "completed": self.completed,
                "successes": self.successes,
                "errors": self.errors,
                "unsent": self.unsent,
            },
            "errors_by_class": dict(sorted(self.errors_by_class.items())),
            "achieved_rate_rps": round(self.achieved_rate, 1),
            "sent_rate_rps": round(self.sent_rate, 1),
            "latency": self.latency.to_dict(),
            "service_time": self.service_time.to_dict(),
            "send_lag": self.send_lag.to_dict(),
            "histograms": {
                "encoding": "hdrhistogram-base64-compressed",
                "unit": "us",
                "latency": self.latency_hdr,
                "service_time": self.service_time_hdr,
                "send_lag": self.send_lag_hdr,
            },
            "time_series": [
                {"second": c.second, "responses": c.responses, "errors": c.errors}
                for c in self.time_series
            ],
            "generator": self.generator.to_dict(),
            "probe_status": self.probe_status,
            "latency_per_second": [s.to_dict() for s in self.latency_per_second],
        }
