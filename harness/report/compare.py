"""Put runs side by side and, against a baseline, flag regressions larger than the noise.

A metric is a regression when the one-sided Mann-Whitney U test on its repeated samples
(candidate worse than baseline) gives p <= alpha AND the candidate's median is worse than the
baseline's by at least the minimum relative effect. Metrics with too few samples on either
side are shown but not judged. A conformance test that passed in the baseline and fails (or
is flaky) in a candidate is a regression too.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.report import formatting as fmt
from harness.report.markdown import table
from harness.report.statistics import mann_whitney_greater
from harness.results.errors import ResultsError
from harness.results.model import Metric, RunResults

FAILING = ("failed", "flaky")


@dataclass(frozen=True)
class RegressionPolicy:
    """When a change counts as a regression."""

    alpha: float = 0.05
    min_effect: float = 0.05  # relative change of the median, 0.05 = 5 %
    min_samples: int = 3

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ResultsError(f"--alpha {self.alpha} must lie between 0 and 1, e.g. 0.05")
        if self.min_effect < 0:
            raise ResultsError(f"--min-effect {self.min_effect} must be 0 or more, e.g. 0.05")
        if self.min_samples < 2:
            raise ResultsError(f"--min-samples {self.min_samples} must be at least 2")

    def describe(self) -> str:
        return (
            "Regression test: one-sided Mann-Whitney U on each metric's repeated samples "
            "(exact p-value without ties up to 40 samples, normal approximation otherwise); "
            f"a metric regresses when p <= {self.alpha:g} and its median is worse by at least "
            f"{self.min_effect:.1%}. Metrics with fewer than {self.min_samples} samples on "
            "either side are not judged."
        )


@dataclass(frozen=True)
class MetricVerdict:
    """The judgement of one candidate metric against the baseline."""

    status: str  # regression | improvement | within noise | not judged
    effect: float | None  # relative change of the median, signed (new - old) / |old|
    p_value: float | None
    method: str
    reason: str = ""


@dataclass
class MetricRow:
    """One (scenario, metric) across all runs; `values[0]` is the reference run's."""

    scenario: str
    metric: str
    unit: str
    better: str
    values: list[float | None]
    verdicts: list[MetricVerdict | None] = field(default_factory=list)


@dataclass
class Comparison:
    """Everything `gwh compare` shows; column 0 is the baseline (or the first run)."""

    labels: list[str]
    implementations: list[str]
    has_baseline: bool
    policy: RegressionPolicy
    profiles: list[tuple[str, list[str]]]
    features: list[tuple[str, list[str]]]
    test_changes: list[tuple[str, list[str]]]
    metrics: list[MetricRow]
    regressions: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.labels,
            "implementations": self.implementations,
            "baseline": self.labels[0] if self.has_baseline else None,
            "test": self.policy.describe(),
            "policy": asdict(self.policy),
            "profiles": [{"name": n, "results": r} for n, r in self.profiles],
            "features": [{"name": n, "support": s} for n, s in self.features],
            "changed_tests": [{"name": n, "outcomes": o} for n, o in self.test_changes],
            "metrics": [asdict(m) for m in self.metrics],
            "regressions": self.regressions,
        }


def _median_effect(old: Sequence[float], new: Sequence[float]) -> float:
    before, after = statistics.median(old), statistics.median(new)
    if before == 0:
        return 0.0 if after == 0 else float("inf") if after > 0 else float("-inf")
    return (after - before) / abs(before)


def judge_metric(baseline: Metric, candidate: Metric, policy: RegressionPolicy) -> MetricVerdict:
    """Regression, improvement or within noise, by the stated test and minimum effect."""
    if len(baseline.samples) < policy.min_samples or len(candidate.samples) < policy.min_samples:
        return MetricVerdict(
            "not judged",
            None,
            None,
            "",
            f"needs {policy.min_samples} samples per run, has "
            f"{len(baseline.samples)} and {len(candidate.samples)}",
        )
    effect = _median_effect(baseline.samples, candidate.samples)
    worse_if_greater = baseline.better == "lower"
    first, second = (
        (candidate.samples, baseline.samples)
        if worse_if_greater
        else (baseline.samples, candidate.samples)
    )
    worse = mann_whitney_greater(first, second)
    worse_effect = effect if worse_if_greater else -effect
    if worse.p_value <= policy.alpha and worse_effect >= policy.min_effect:
        return MetricVerdict("regression", effect, worse.p_value, worse.method)
    better = mann_whitney_greater(second, first)
    if better.p_value <= policy.alpha and -worse_effect >= policy.min_effect:
        return MetricVerdict("improvement", effect, better.p_value, better.method)
    return MetricVerdict("within noise", effect, worse.p_value, worse.method)


def _metrics_of(run: RunResults) -> dict[tuple[str, str], Metric]:
    if run.performance is None:
        return {}
    return {(s.name, m.name): m for s in run.performance.scenarios for m in s.metrics}


def _profiles_of(run: RunResults) -> dict[str, str]:
    if run.conformance is None:
        return {}
    return {
        p.name: f"core {p.core.result}, extended {p.extended.result}"
        for p in run.conformance.profiles
    }


def _features_of(run: RunResults) -> dict[str, str]:
    if run.conformance is None:
        return {}
    supported, unsupported = fmt.features(run.conformance)
    return {**{f: "unsupported" for f in unsupported}, **{f: "supported" for f in supported}}


def _tests_of(run: RunResults) -> dict[str, str]:
    if run.conformance is None:
        return {}
    return {t.short_name: t.outcome for t in run.conformance.tests}


def _check_overlap(runs: Sequence[RunResults]) -> None:
    """Every run must share a metric, a profile or a test with the reference run."""
    reference = runs[0]
    keys = set(_metrics_of(reference)) | set(_profiles_of(reference)) | set(_tests_of(reference))
    for run in runs[1:]:
        other = set(_metrics_of(run)) | set(_profiles_of(run)) | set(_tests_of(run))
        if not keys & other:
            raise ResultsError(
                f"runs {reference.run_id} and {run.run_id} have nothing in common (no shared "
                "scenario metric, conformance profile or test); compare runs of the same "
                "scenarios and profiles"
            )


def _union(maps: Sequence[dict[Any, Any]]) -> list[Any]:
    keys: dict[Any, None] = {}
    for mapping in maps:
        keys.update(dict.fromkeys(mapping))
    return list(keys)


def compare_runs(
    runs: Sequence[RunResults],
    baseline: RunResults | None = None,
    policy: RegressionPolicy | None = None,
) -> Comparison:
    """Compare runs; with a baseline, judge every other run's metrics and tests against it."""
    policy = policy or RegressionPolicy()
    ordered = [baseline, *runs] if baseline is not None else list(runs)
    if len(ordered) < 2:
        raise ResultsError(
            "compare needs two runs or more: pass several RUN_DIRs, or one with --baseline"
        )
    ids = [r.run_id for r in ordered]
    if len(set(ids)) != len(ids):
        raise ResultsError(f"the same run was given twice ({', '.join(ids)}); pass distinct runs")
    _check_overlap(ordered)
    metric_maps = [_metrics_of(r) for r in ordered]
    rows: list[MetricRow] = []
    regressions: list[str] = []
    for key in _union(metric_maps):
        present = [m.get(key) for m in metric_maps]
        first = next(m for m in present if m is not None)
        row = MetricRow(
            key[0], key[1], first.unit, first.better, [m.value if m else None for m in present]
        )
        if baseline is not None:
            reference = present[0]
            for metric in present[1:]:
                verdict = judge_metric(reference, metric, policy) if reference and metric else None
                row.verdicts.append(verdict)
            for index, verdict in enumerate(row.verdicts, start=1):
                if verdict is not None and verdict.status == "regression":
                    regressions.append(
                        f"{ids[index]}: {key[0]}/{key[1]} worse by "
                        f"{abs(verdict.effect or 0.0):.1%} (p={verdict.p_value:.3g})"
                    )
        rows.append(row)
    test_maps = [_tests_of(r) for r in ordered]
    test_changes = []
    for name in sorted(_union(test_maps)):
        outcomes = [m.get(name, "-") for m in test_maps]
        if len(set(outcomes)) > 1:
            test_changes.append((name, outcomes))
            if baseline is not None and outcomes[0] == "passed":
                regressions += [
                    f"{ids[i]}: conformance test {name} {o} (passed in the baseline)"
                    for i, o in enumerate(outcomes[1:], start=1)
                    if o in FAILING
                ]
    profile_maps = [_profiles_of(r) for r in ordered]
    feature_maps = [_features_of(r) for r in ordered]
    return Comparison(
        labels=ids,
        implementations=[r.implementation.label for r in ordered],
        has_baseline=baseline is not None,
        policy=policy,
        profiles=[(n, [m.get(n, "-") for m in profile_maps]) for n in _union(profile_maps)],
        features=[(n, [m.get(n, "-") for m in feature_maps]) for n in sorted(_union(feature_maps))],
        test_changes=test_changes,
        metrics=rows,
        regressions=regressions,
    )


def _verdict_text(verdict: MetricVerdict | None) -> str:
    if verdict is None:
        return "-"
    if verdict.status == "not judged":
        return f"not judged ({verdict.reason})"
    return f"{verdict.status} (p={verdict.p_value:.3g})"


def render_comparison(comparison: Comparison) -> str:
    """The comparison as Markdown (readable in a terminal, a CI summary or a PR comment)."""
    labels = comparison.labels
    heads = list(labels)
    if len(set(comparison.implementations)) > 1:
        # Implementations side by side: name each column after its implementation too.
        heads = [f"{h} ({impl})" for h, impl in zip(heads, comparison.implementations, strict=True)]
    if comparison.has_baseline:
        heads[0] += " (baseline)"
    lines = [f"# Comparison of {len(labels)} runs", ""]
    if comparison.profiles:
        lines += ["## Conformance profiles", ""]
        lines += table(["Profile", *heads], [[n, *r] for n, r in comparison.profiles])
        lines.append("")
    if comparison.features:
        lines += ["## Features", ""]
        lines += table(["Feature", *heads], [[n, *s] for n, s in comparison.features])
        lines.append("")
    if comparison.test_changes:
        lines += ["## Tests whose outcome differs", ""]
        lines += table(["Test", *heads], [[n, *o] for n, o in comparison.test_changes])
        lines.append("")
    if comparison.metrics:
        lines += ["## Performance", ""]
        header = ["Scenario", "Metric", "Unit", *heads]
        rows = []
        for row in comparison.metrics:
            reference = row.values[0]
            cells = ["-" if row.values[0] is None else fmt.number(row.values[0])]
            for index, value in enumerate(row.values[1:]):
                if value is None:
                    cells.append("-")
                    continue
                text = fmt.number(value)
                if reference is not None:
                    text += f" ({fmt.percent_change(value, reference)})"
                if row.verdicts:
                    text += f" {_verdict_text(row.verdicts[index])}"
                cells.append(text)
            rows.append([row.scenario, row.metric, f"{row.unit}, {row.better} is better", *cells])
        lines += table(header, rows)
        lines.append("")
    if comparison.has_baseline:
        lines += [comparison.policy.describe(), ""]
        if comparison.regressions:
            lines += ["## Regressions", "", *[f"- {r}" for r in comparison.regressions]]
        else:
            lines.append("No regression beyond the measured noise.")
    return "\n".join(lines).rstrip() + "\n"
