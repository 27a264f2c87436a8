"""A performance scenario and what it returns; scenarios register through entry points."""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

from harness.bench.context import BenchContext
from harness.cluster import ClusterError

ENTRY_POINT_GROUP = "gateway_harness.bench_scenarios"


@dataclasses.dataclass
class ScenarioResult:
    """One scenario's numbers in the run-results shape (`performance.scenarios[]`)."""

    name: str
    description: str
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    metrics: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    series: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    histograms: dict[str, str] = dataclasses.field(default_factory=dict)
    generator_bound: bool = False
    notes: list[str] = dataclasses.field(default_factory=list)

    def metric(
        self,
        name: str,
        unit: str,
        samples: Sequence[float],
        better: str = "lower",
        *,
        value: float | None = None,
    ) -> None:
        """Record a metric from its repeated samples; its value is their median unless given
        (a whole-run percentile is not the median of the per-second ones)."""
        values = [float(s) for s in samples]
        if not values:
            self.notes.append(f"{name}: no samples")
            return
        self.metrics.append(
            {
                "name": name,
                "unit": unit,
                "better": better,
                "value": statistics.median(values) if value is None else float(value),
                "samples": values,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class BenchScenario:
    """A named scenario; `run` does the work and returns its result."""

    name: str
    description: str
    run: Callable[[BenchContext], ScenarioResult]
    order: int = 100  # position in a full run: cheap, basic measurements first


def available_scenarios() -> dict[str, BenchScenario]:
    """Every scenario installed under the entry-point group, by name, in a stable order."""
    found: dict[str, BenchScenario] = {}
    for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.value):
        scenario = ep.load()
        if isinstance(scenario, BenchScenario):
            found[scenario.name] = scenario
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


def select(names: Sequence[str]) -> list[BenchScenario]:
    known = available_scenarios()
    if not known:
        raise ClusterError(
            "no performance scenarios are installed",
            hint="install the package from the repository with `pip install -e .`",
        )
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ClusterError(
            f"unknown scenario {', '.join(map(repr, unknown))}",
            hint="choose from: " + ", ".join(known),
        )
    return [known[n] for n in names] if names else list(known.values())
