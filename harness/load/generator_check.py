"""Decide whether the load generator itself limited a run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

CPU_BOUND_PERCENT = 90.0  # of one core, averaged over the run
RATE_SHORTFALL_RATIO = 0.95  # achieved below this share of the target rate


@dataclass(frozen=True)
class GeneratorVerdict:
    """Whether the generator was the bottleneck, and why."""

    bound: bool
    reasons: tuple[str, ...]
    worker_cpu_mean_percent: tuple[float, ...] = field(default=())
    worker_cpu_max_percent: tuple[float, ...] = field(default=())
    worker_cpu_demand_mean_percent: tuple[float, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "generator_bound": self.bound,
            "reasons": list(self.reasons),
            "worker_cpu_mean_percent": list(self.worker_cpu_mean_percent),
            "worker_cpu_max_percent": list(self.worker_cpu_max_percent),
            "worker_cpu_demand_mean_percent": list(self.worker_cpu_demand_mean_percent),
            "cpu_bound_threshold_percent": CPU_BOUND_PERCENT,
            "rate_shortfall_ratio": RATE_SHORTFALL_RATIO,
        }


def _means(samples: Sequence[Sequence[float]]) -> tuple[float, ...]:
    return tuple(round(sum(s) / len(s), 1) if s else 0.0 for s in samples)


def judge_generator(
    worker_cpu_samples: Sequence[Sequence[float]],
    target_rate: float | None,
    sent_rate: float,
    connections: int,
    worker_demand_samples: Sequence[Sequence[float]] = (),
) -> GeneratorVerdict:
    """Mark the run generator-bound if a worker sat near a full core or fell behind schedule.

    ``worker_demand_samples`` (CPU used plus time waiting for a core) catches a
    saturated worker on a machine whose cores other processes share.
    """
    means = _means(worker_cpu_samples)
    maxes = tuple(round(max(s), 1) if s else 0.0 for s in worker_cpu_samples)
    demands = _means(worker_demand_samples)
    reasons: list[str] = []
    for index, mean in enumerate(means):
        demand = demands[index] if index < len(demands) else mean
        if mean >= CPU_BOUND_PERCENT:
            reasons.append(
                f"worker {index} averaged {mean:.0f}% of a core (>= {CPU_BOUND_PERCENT:.0f}%): "
                "add workers or cores"
            )
        elif demand >= CPU_BOUND_PERCENT:
            reasons.append(
                f"worker {index} ran or waited for a core {demand:.0f}% of the time "
                f"(used {mean:.0f}%): the generator's cores are shared or oversubscribed"
            )
    if target_rate is not None and sent_rate < RATE_SHORTFALL_RATIO * target_rate:
        reasons.append(
            f"sent {sent_rate:.0f} req/s, under {RATE_SHORTFALL_RATIO:.0%} of the target "
            f"{target_rate:.0f} req/s: the workers' CPU or the {connections} connections "
            "(each waits for its response) could not keep the schedule"
        )
    return GeneratorVerdict(bool(reasons), tuple(reasons), means, maxes, demands)
