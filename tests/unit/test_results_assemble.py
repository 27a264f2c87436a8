"""results.json joined from what `gwh conformance` and `gwh bench` write into a run folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.bench.runner import write_results
from harness.bench.scenario import ScenarioResult
from harness.conformance.report import ConformanceReport, Implementation, LevelStatus, ProfileReport
from harness.conformance.results import Outcome, RunInfo, TestResult, write_results_json
from harness.report.writer import write_report
from harness.results import ResultsError, RunResults, assemble_run, load_run, needs_assembly


def write_conformance_outputs(run_dir: Path) -> None:
    tests = [
        TestResult("HTTPRouteSimpleSameNamespace", Outcome.PASSED, frozenset({"HTTPRoute"})),
        TestResult(
            "HTTPRouteHeaderMatching", Outcome.FAILED, frozenset({"HTTPRoute"}), message="404"
        ),
    ]
    info = RunInfo(
        gateway_class="gateway-harness",
        gateway_api_version="v1.2.0",
        gateway_api_channel="standard",
        started="2026-11-26T01:00:00Z",
        finished="2026-11-26T01:10:00Z",
    )
    write_results_json(run_dir / "conformance-results.json", info, tests)
    core = LevelStatus()
    for test in tests:
        core.add(test)
    ConformanceReport(
        Implementation("example.org", "reference", "https://example.org", "v0.1.0", ("@me",)),
        "2026-11-26T01:10:00Z",
        "v1.2.0",
        "standard",
        "default",
        [ProfileReport("GATEWAY-HTTP", core, LevelStatus(), [], [])],
        [],
    ).write(run_dir / "conformance-report.yaml")


def write_bench_outputs(run_dir: Path) -> None:
    result = ScenarioResult("route-scale", "10 to 1000 routes")
    result.metric("at_50pct_rps", "req/s", [990.0, 1000.0, 1010.0], better="higher")
    result.metric("at_50pct_latency_p50", "ms", [1.0])
    result.metric("at_50pct_latency_p99", "ms", [4.0])
    result.series["rps_by_routes"] = {
        "x": [10, 100],
        "y": [1000, 900],
        "x_label": "HTTPRoutes",
        "y_label": "req/s",
    }
    result.series["p99_by_routes"] = {
        "x": [10, 100],
        "y": [4, 6],
        "x_label": "HTTPRoutes",
        "y_label": "p99 latency (ms)",
    }
    write_results(
        run_dir,
        [result],
        {
            "gateway_class": "gateway-harness",
            "profile": "quick",
            "cluster": "default",
            "provider": "local",
        },
    )


def test_conformance_and_bench_files_become_one_run(tmp_path: Path) -> None:
    write_conformance_outputs(tmp_path)
    write_bench_outputs(tmp_path)
    assert needs_assembly(tmp_path)
    run = assemble_run(tmp_path, command=["gwh", "conformance"])
    assert not needs_assembly(tmp_path)
    assert RunResults.load(tmp_path) == run
    assert run.run_id == tmp_path.name and run.command == ["gwh", "conformance"]
    assert run.implementation.project == "reference"
    assert run.implementation.gateway_class == "gateway-harness"
    assert (run.cluster.provider, run.cluster.gateway_api_version) == ("local", "v1.2.0")
    assert run.started == "2026-11-26T01:00:00Z"
    assert run.conformance is not None and run.conformance.profiles[0].core.result == "failure"
    assert run.performance is not None
    metric = run.performance.scenarios[0].metric("at_50pct_rps")
    assert metric is not None and metric.samples == [990.0, 1000.0, 1010.0]


def test_report_joins_newer_producer_files_first(tmp_path: Path) -> None:
    write_bench_outputs(tmp_path)
    written = write_report(tmp_path)
    assert "results.json assembled from performance.json" in written.notes
    names = sorted(p.name for p in written.plots)
    assert names == ["route-scale-percentiles.png", "route-scale-route_scale.png"]
    # A later producer run (newer file) is picked up by the next report.
    write_conformance_outputs(tmp_path)
    later = os.stat(tmp_path / "results.json").st_mtime + 5
    os.utime(tmp_path / "conformance-results.json", (later, later))
    written = write_report(tmp_path)
    assert written.results.conformance is not None
    assert "HTTPRouteHeaderMatching" in written.summary.read_text()


def test_load_run_joins_in_memory_without_writing(tmp_path: Path) -> None:
    write_bench_outputs(tmp_path)
    run = load_run(tmp_path)
    assert run.performance is not None and not (tmp_path / "results.json").exists()


def test_bad_producer_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="is not a run folder"):
        assemble_run(tmp_path)
    (tmp_path / "performance.json").write_text(json.dumps({"schema": "other", "scenarios": []}))
    with pytest.raises(ResultsError, match="expected 'gateway-harness/performance-results/v1'"):
        assemble_run(tmp_path)
    (tmp_path / "performance.json").write_text(
        json.dumps(
            {
                "schema": "gateway-harness/performance-results/v1",
                "scenarios": [
                    {"name": "s", "metrics": [{"name": "m", "better": "lower", "value": None}]}
                ],
            }
        )
    )
    with pytest.raises(ResultsError, match=r"scenarios\[0\].metrics\[0\].value must be a number"):
        assemble_run(tmp_path)
    (tmp_path / "performance.json").write_text("{")
    with pytest.raises(ResultsError, match="cannot be read as JSON"):
        assemble_run(tmp_path)
