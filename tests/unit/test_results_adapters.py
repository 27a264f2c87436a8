"""Adapters from the producers' own outputs (conformance plugin, load engine) to the run model."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from harness.conformance.report import (
    ConformanceReport,
    Implementation,
    LevelStatus,
    ProfileReport,
)
from harness.conformance.results import Outcome, RunInfo, TestResult, results_document
from harness.load.generator_check import GeneratorVerdict
from harness.load.latency_histogram import LatencySummary, decode, encode, new_histogram
from harness.load.result import LoadResult, SecondCounts
from harness.results import (
    PerformanceSection,
    ResultsError,
    RunResults,
    from_conformance_results,
    implementation_from_report,
    metric_from_load_result,
    scenario_from_load_results,
)


def conformance_outputs() -> tuple[dict[str, object], dict[str, object]]:
    """A results JSON and a ConformanceReport, both built with the plugin's own types."""
    tests = [
        TestResult(
            "HTTPRouteSimpleSameNamespace",
            Outcome.PASSED,
            frozenset({"HTTPRoute"}),
            duration_seconds=1.5,
        ),
        TestResult(
            "HTTPRouteHeaderMatching",
            Outcome.FAILED,
            frozenset({"HTTPRoute"}),
            message="got 404, want 200",
        ),
        TestResult(
            "HTTPRouteQueryParamMatching",
            Outcome.FLAKY,
            frozenset({"HTTPRoute"}),
            message="retried",
        ),
        TestResult("HTTPRouteRequestMirror", Outcome.NOT_SUPPORTED, message="feature off"),
        TestResult("GatewayInfrastructure", Outcome.PROVISIONAL_SKIPPED, provisional=True),
    ]
    core = LevelStatus()
    for test in tests[:2]:
        core.add(test)
    extended = LevelStatus()
    extended.add(tests[2])
    report = ConformanceReport(
        implementation=Implementation("example.org", "gw", "https://gw.example", "v1", ("@a",)),
        date="2026-11-26T00:00:00Z",
        gateway_api_version="v1.2.0",
        gateway_api_channel="standard",
        mode="default",
        profiles=[
            ProfileReport(
                "GATEWAY-HTTP",
                core,
                extended,
                ["HTTPRouteQueryParamMatching"],
                ["HTTPRouteRequestMirror"],
            ),
            ProfileReport("GATEWAY-GRPC", LevelStatus(passed=2), LevelStatus(), [], ["GRPCRoute"]),
        ],
        succeeded_provisional_tests=[],
    )
    # Through YAML, as `gwh report` would read the file the plugin wrote.
    report_dict = yaml.safe_load(report.to_yaml())
    return results_document(RunInfo(gateway_class="gw"), tests), report_dict


def test_conformance_results_map_outcomes_and_profiles() -> None:
    results, report = conformance_outputs()
    section = from_conformance_results(results, report)
    outcomes = {t.short_name: t.outcome for t in section.tests}
    assert outcomes == {
        "GatewayInfrastructure": "skipped",
        "HTTPRouteHeaderMatching": "failed",
        "HTTPRouteQueryParamMatching": "flaky",
        "HTTPRouteRequestMirror": "unsupported",
        "HTTPRouteSimpleSameNamespace": "passed",
    }
    failed = next(t for t in section.tests if t.short_name == "HTTPRouteHeaderMatching")
    assert failed.message == "got 404, want 200" and failed.features == ["HTTPRoute"]
    http, grpc = section.profiles
    assert (http.core.result, http.core.passed, http.core.failed) == ("failure", 1, 1)
    assert http.core.failed_tests == ["HTTPRouteHeaderMatching"]
    assert http.extended.result == "failure"  # a flaky test counts as a failure
    assert http.extended.supported_features == ["HTTPRouteQueryParamMatching"]
    assert http.extended.unsupported_features == ["HTTPRouteRequestMirror"]
    assert grpc.core.result == "success" and grpc.extended.result == "none"
    assert section.failed


def test_conformance_section_survives_the_run_file(tmp_path: Path) -> None:
    results, report = conformance_outputs()
    run = RunResults(
        run_id="r",
        conformance=from_conformance_results(results, report),
        implementation=implementation_from_report(report, "gw"),
    )
    run.save(tmp_path)
    loaded = RunResults.load(tmp_path)
    assert loaded == run
    assert loaded.implementation.project == "gw" and loaded.implementation.contact == ["@a"]


def test_conformance_results_without_report_have_no_profiles() -> None:
    results, _ = conformance_outputs()
    section = from_conformance_results(results)
    assert section.profiles == [] and len(section.tests) == 5


def test_conformance_adapter_rejects_other_documents() -> None:
    with pytest.raises(ResultsError, match="expected 'gateway-harness/conformance-results/v1'"):
        from_conformance_results({"schema": "something-else", "tests": []})
    results, _ = conformance_outputs()
    results["tests"][0]["outcome"] = "exploded"  # type: ignore[index]
    with pytest.raises(ResultsError, match="unknown outcome 'exploded'"):
        from_conformance_results(results)


def load_result(seed: int, scale: float = 1.0, errors: int = 0) -> LoadResult:
    """A LoadResult as the engine returns it, from recorded latencies."""
    rng = random.Random(seed)
    histogram = new_histogram()
    for _ in range(2000):
        histogram.record_value(int(rng.lognormvariate(7.0, 0.4) * scale))
    summary = LatencySummary.of(histogram)
    encoded = encode(histogram)
    return LoadResult(
        url="http://127.0.0.1:8080/",
        mode="open",
        target_rate=1000.0,
        connections=8,
        workers=1,
        keepalive=True,
        duration_s=2.0,
        sent=2000,
        completed=2000,
        successes=2000 - errors,
        unsent=0,
        errors_by_class={"5xx": errors} if errors else {},
        achieved_rate=999.5 - seed,
        sent_rate=1000.0,
        latency=summary,
        service_time=summary,
        send_lag=summary,
        latency_hdr=encoded,
        service_time_hdr=encoded,
        send_lag_hdr=encoded,
        time_series=(SecondCounts(0, 1000, errors), SecondCounts(1, 1000, 0)),
        generator=GeneratorVerdict(
            seed == 2, ("worker 0 averaged 95% of a core",) if seed == 2 else ()
        ),
        probe_status=200,
    )


def test_metric_from_load_results_takes_one_sample_per_run() -> None:
    runs = [load_result(seed) for seed in (1, 2, 3)]
    metric = metric_from_load_result("latency_p99", runs)
    expected = sorted(r.latency.p99_us / 1000.0 for r in runs)
    assert sorted(metric.samples) == expected
    assert metric.value == expected[1] and metric.unit == "ms" and metric.better == "lower"
    throughput = metric_from_load_result("throughput", runs[0].to_dict(), name="rps")
    assert (
        throughput.name == "rps" and throughput.samples == [998.5] and throughput.better == "higher"
    )
    assert metric_from_load_result("error_ratio", load_result(1, errors=20)).value == pytest.approx(
        0.01
    )


def test_metric_from_load_result_rejects_bad_input() -> None:
    with pytest.raises(ResultsError, match="unknown load quantity 'p42'"):
        metric_from_load_result("p42", load_result(1))
    with pytest.raises(ResultsError, match="load-result/v1"):
        metric_from_load_result("throughput", {"schema": "other"})
    with pytest.raises(ResultsError, match="no load results"):
        metric_from_load_result("throughput", [])


def test_scenario_from_load_results_stores_histogram_and_series(tmp_path: Path) -> None:
    runs = [load_result(1), load_result(2, errors=3)]
    scenario = scenario_from_load_results("listener", runs, tmp_path, parameters={"rate": 1000})
    assert scenario.generator_bound and scenario.notes == ["worker 0 averaged 95% of a core"]
    assert [m.name for m in scenario.metrics] == [
        "throughput",
        "latency_p50",
        "latency_p99",
        "errors",
    ]
    assert scenario.series["errors_over_time"].y == [3.0, 0.0]
    stored = decode((tmp_path / scenario.histograms["latency"]).read_text().strip())
    assert stored.get_total_count() == 2000
    RunResults("r", performance=PerformanceSection([scenario])).save(tmp_path)
    loaded = RunResults.load(tmp_path).performance
    assert loaded is not None and loaded.scenarios == [scenario]
