"""`gwh compare`: side by side, and regressions only when larger than the measured noise."""

from __future__ import annotations

import random

import pytest

from harness.report.compare import RegressionPolicy, compare_runs, judge_metric, render_comparison
from harness.results import (
    ConformanceSection,
    CoreLevel,
    ExtendedLevel,
    Metric,
    PerformanceSection,
    ProfileResult,
    ResultsError,
    RunResults,
    Scenario,
    TestOutcome,
)

SAMPLES = 10


def noisy(rng: random.Random, centre: float, cv: float) -> list[float]:
    """Benchmark-like samples: mostly gaussian, with an occasional slow outlier."""
    samples = [rng.gauss(centre, centre * cv) for _ in range(SAMPLES)]
    if rng.random() < 0.5:
        samples[rng.randrange(SAMPLES)] *= 1.0 + rng.uniform(0.1, 0.4)
    return samples


def metric(name: str, unit: str, better: str, samples: list[float]) -> Metric:
    return Metric(name, unit, better, sorted(samples)[len(samples) // 2], samples)


def perf_run(
    run_id: str, seed: int, latency_shift: float = 1.0, throughput_shift: float = 1.0
) -> RunResults:
    rng = random.Random(seed)
    scenario = Scenario(
        "listener-throughput",
        metrics=[
            metric("latency_p50", "ms", "lower", noisy(rng, 1.2 * latency_shift, 0.04)),
            metric("latency_p99", "ms", "lower", noisy(rng, 4.0 * latency_shift, 0.08)),
            metric("throughput", "req/s", "higher", noisy(rng, 3900.0 * throughput_shift, 0.03)),
        ],
    )
    return RunResults(run_id=run_id, performance=PerformanceSection([scenario]))


def test_injected_latency_regression_is_flagged() -> None:
    baseline = perf_run("base", seed=1)
    candidate = perf_run("slow", seed=2, latency_shift=1.3)
    comparison = compare_runs([candidate], baseline)
    flagged = sorted(r.split(":")[1].strip().split()[0] for r in comparison.regressions)
    assert flagged == ["listener-throughput/latency_p50", "listener-throughput/latency_p99"]
    p99 = next(m for m in comparison.metrics if m.metric == "latency_p99")
    verdict = p99.verdicts[0]
    assert verdict is not None and verdict.status == "regression"
    assert verdict.p_value is not None and verdict.p_value <= 0.05
    assert verdict.effect is not None and 0.15 < verdict.effect < 0.45


def test_throughput_drop_is_a_regression_and_a_rise_is_an_improvement() -> None:
    baseline = perf_run("base", seed=3)
    dropped = compare_runs([perf_run("drop", seed=4, throughput_shift=0.8)], baseline)
    assert [r for r in dropped.regressions if "throughput" in r]
    raised = compare_runs([perf_run("rise", seed=5, throughput_shift=1.25)], baseline)
    assert raised.regressions == []
    row = next(m for m in raised.metrics if m.metric == "throughput")
    assert row.verdicts[0] is not None and row.verdicts[0].status == "improvement"


@pytest.mark.parametrize("seed", [101, 202, 303, 404, 505])
def test_same_build_against_itself_is_not_flagged(seed: int) -> None:
    baseline = perf_run(f"base-{seed}", seed=seed)
    again = perf_run(f"again-{seed}", seed=seed + 1)
    comparison = compare_runs([again], baseline)
    assert comparison.regressions == [], render_comparison(comparison)


def test_min_effect_filters_significant_but_tiny_changes() -> None:
    base = Metric("latency", "ms", "lower", 10.0, [10.0, 10.01, 10.02, 10.03, 10.04])
    slower = Metric("latency", "ms", "lower", 10.2, [10.2, 10.21, 10.22, 10.23, 10.24])
    strict = judge_metric(base, slower, RegressionPolicy(min_effect=0.0))
    assert strict.status == "regression" and strict.p_value == pytest.approx(1 / 252)
    assert judge_metric(base, slower, RegressionPolicy()).status == "within noise"


def test_too_few_samples_are_not_judged() -> None:
    base = Metric("latency", "ms", "lower", 10.0, [10.0, 10.1])
    slower = Metric("latency", "ms", "lower", 30.0, [30.0, 31.0, 29.0])
    verdict = judge_metric(base, slower, RegressionPolicy())
    assert (
        verdict.status == "not judged" and "needs 3 samples per run, has 2 and 3" in verdict.reason
    )


def conformance_run(run_id: str, outcome: str, profile: str = "GATEWAY-HTTP") -> RunResults:
    section = ConformanceSection(
        profiles=[
            ProfileResult(
                profile, CoreLevel("success", 1), ExtendedLevel("none", supported_features=["X"])
            )
        ],
        tests=[
            TestOutcome("HTTPRouteSimpleSameNamespace", outcome),
            TestOutcome("Other", "passed"),
        ],
    )
    return RunResults(run_id=run_id, conformance=section)


def test_conformance_side_by_side_and_test_regressions() -> None:
    comparison = compare_runs([conformance_run("new", "failed")], conformance_run("old", "passed"))
    assert comparison.test_changes == [("HTTPRouteSimpleSameNamespace", ["passed", "failed"])]
    assert comparison.regressions == [
        "new: conformance test HTTPRouteSimpleSameNamespace failed (passed in the baseline)"
    ]
    assert comparison.features == [("X", ["supported", "supported"])]
    text = render_comparison(comparison)
    assert "| HTTPRouteSimpleSameNamespace | passed | failed |" in text
    assert "one-sided Mann-Whitney U" in text and "## Regressions" in text


def test_without_baseline_changes_are_shown_but_not_judged() -> None:
    comparison = compare_runs([perf_run("a", 1), perf_run("b", 2, latency_shift=1.5)])
    assert comparison.regressions == [] and not comparison.has_baseline
    text = render_comparison(comparison)
    assert "(+" in text and "regression" not in text.lower().replace("regressions", "")


def test_runs_with_nothing_in_common_are_refused() -> None:
    with pytest.raises(ResultsError, match="runs a and c have nothing in common"):
        compare_runs([perf_run("a", 1), conformance_run("c", "passed")])


def test_bad_compare_inputs() -> None:
    with pytest.raises(ResultsError, match="needs two runs or more"):
        compare_runs([perf_run("a", 1)])
    with pytest.raises(ResultsError, match="the same run was given twice"):
        compare_runs([perf_run("a", 1), perf_run("a", 1)])
    with pytest.raises(ResultsError, match=r"--alpha 1\.5"):
        RegressionPolicy(alpha=1.5)


def test_implementations_side_by_side_are_named_in_the_columns() -> None:
    ours, theirs = perf_run("ours", 1), perf_run("theirs", 2)
    ours.implementation.project, theirs.implementation.project = "reference", "other-gw"
    comparison = compare_runs([ours, theirs])
    assert comparison.implementations == ["reference", "other-gw"]
    assert (
        "| Scenario | Metric | Unit | ours (reference) | theirs (other-gw) |"
        in render_comparison(comparison)
    )
