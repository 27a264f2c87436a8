"""The run-results model: round trip through results.json and strict validation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from harness.results import (
    SCHEMA,
    ConformanceSection,
    Metric,
    PerformanceSection,
    ResultsError,
    RunResults,
    Scenario,
    Series,
    find_run_dirs,
    load_or_new,
    new_run_dir,
)
from harness.results.sample_run import write_sample_run


def sample_document(tmp_path: Path) -> dict[str, Any]:
    run_dir = write_sample_run(tmp_path)
    data: dict[str, Any] = json.loads((run_dir / "results.json").read_text())
    return data


def write_document(folder: Path, data: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(data))
    return folder


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    run_dir = write_sample_run(tmp_path)
    loaded = RunResults.load(run_dir)
    assert loaded.to_dict()["schema"] == SCHEMA
    copy_dir = tmp_path / "copy"
    loaded.save(copy_dir)
    again = RunResults.load(copy_dir)
    assert again == loaded
    assert again.conformance is not None and again.performance is not None
    outcomes = {t.short_name: t.outcome for t in again.conformance.tests}
    assert outcomes["HTTPRouteHeaderMatching"] == "failed"
    assert outcomes["HTTPRouteRequestMirror"] == "unsupported"
    scenario = again.performance.scenario("listener-throughput")
    assert scenario is not None
    metric = scenario.metric("latency_p99")
    assert metric is not None and metric.better == "lower" and len(metric.samples) == 8
    assert scenario.series["latency_vs_throughput.p99"].x_label == "throughput (req/s)"
    assert (run_dir / scenario.histograms["latency"]).is_file()


def test_verdict_follows_conformance(tmp_path: Path) -> None:
    run = RunResults.load(write_sample_run(tmp_path))
    assert not run.passed  # the sample has a failed and a flaky test
    assert RunResults(run_id="perf-only", performance=PerformanceSection()).passed
    assert RunResults(run_id="clean", conformance=ConformanceSection()).passed


def test_a_folder_without_results_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(ResultsError) as error:
        RunResults.load(tmp_path)
    assert str(error.value) == (
        f"{tmp_path} is not a run folder (no results.json); pass a folder under reports/runs/"
    )


def test_another_schema_version_names_both(tmp_path: Path) -> None:
    data = sample_document(tmp_path)
    data["schema"] = "gateway-harness/run-results/v2"
    with pytest.raises(ResultsError) as error:
        RunResults.load(write_document(tmp_path / "v2", data))
    assert "gateway-harness/run-results/v2" in str(error.value)
    assert SCHEMA in str(error.value)


def test_a_conformance_results_file_is_named_as_such(tmp_path: Path) -> None:
    folder = write_document(
        tmp_path / "conf", {"schema": "gateway-harness/conformance-results/v1", "tests": []}
    )
    with pytest.raises(ResultsError, match="is a conformance results file"):
        RunResults.load(folder)


def test_invalid_json_is_reported_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text("{not json")
    with pytest.raises(ResultsError, match=re.escape(str(tmp_path / "results.json"))):
        RunResults.load(tmp_path)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("run_id"), "run_id is missing"),
        (lambda d: d.update(run_id=""), "run_id is empty"),
        (lambda d: d.update(surprise=1), "unknown field(s) surprise"),
        (lambda d: d["environment"].update(cpus="two"), "environment.cpus must be an integer"),
        (
            lambda d: d["conformance"]["tests"][0].update(outcome="great"),
            "conformance.tests[0].outcome is 'great'; expected one of passed",
        ),
        (
            lambda d: d["conformance"]["profiles"][0]["core"].update(result="ok"),
            "conformance.profiles[0].core.result is 'ok'",
        ),
        (
            lambda d: d["performance"]["scenarios"][0]["metrics"][0].update(better="more"),
            "performance.scenarios[0].metrics[0].better is 'more'",
        ),
        (
            lambda d: d["performance"]["scenarios"][0]["metrics"][0].update(value="fast"),
            "performance.scenarios[0].metrics[0].value must be a number",
        ),
        (
            lambda d: d["performance"]["scenarios"][0]["metrics"][0]["samples"].append(None),
            "metrics[0].samples[8] must be a number, got null",
        ),
        (
            lambda d: d["performance"]["scenarios"][0]["series"]["latency_vs_throughput.p50"][
                "y"
            ].pop(),
            "has 4 values but x has 5",
        ),
        (
            lambda d: d["performance"]["scenarios"][0]["histograms"].update(latency="../x.hdr"),
            "it must be a path relative to the run folder",
        ),
        (
            lambda d: d["performance"]["scenarios"][0]["histograms"].update(latency="x.hdr"),
            "it must lie under histograms/",
        ),
        (
            lambda d: d["performance"]["scenarios"].append(d["performance"]["scenarios"][0]),
            "names listener-throughput more than once",
        ),
        (lambda d: d.update(performance=[]), "performance must be an object, got a list"),
    ],
)
def test_validation_names_the_bad_field(tmp_path: Path, mutate: Any, message: str) -> None:
    data = sample_document(tmp_path)
    mutate(data)
    folder = write_document(tmp_path / "bad", data)
    with pytest.raises(ResultsError) as error:
        RunResults.load(folder)
    assert message in str(error.value)
    assert str(folder / "results.json") in str(error.value)


def test_save_refuses_an_invalid_model(tmp_path: Path) -> None:
    run = RunResults(
        run_id="r1",
        performance=PerformanceSection(
            [Scenario("s", series={"curve": Series([1.0, 2.0], [1.0], "x", "y")})]
        ),
    )
    with pytest.raises(ResultsError, match="has 1 values but x has 2"):
        run.save(tmp_path)
    assert not (tmp_path / "results.json").exists()


def test_metric_direction_is_checked_on_construction() -> None:
    with pytest.raises(ResultsError, match="better is 'smaller'"):
        Metric("latency", "ms", "smaller", 1.0)


def test_new_run_dir_makes_unique_timestamped_folders(tmp_path: Path) -> None:
    first = new_run_dir(tmp_path / "reports" / "runs")
    second = new_run_dir(tmp_path / "reports" / "runs")
    assert first != second and first.is_dir() and second.is_dir()
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", first.name)
    named = new_run_dir(tmp_path, "nightly-1")
    assert named == tmp_path / "nightly-1"
    with pytest.raises(ResultsError, match="exists already"):
        new_run_dir(tmp_path, "nightly-1")
    with pytest.raises(ResultsError, match="not usable as a folder name"):
        new_run_dir(tmp_path, "../escape")


def test_find_run_dirs_and_load_or_new(tmp_path: Path) -> None:
    write_sample_run(tmp_path, "b-run")
    write_sample_run(tmp_path, "a-run")
    (tmp_path / "not-a-run").mkdir()
    assert [p.name for p in find_run_dirs(tmp_path)] == ["a-run", "b-run"]
    assert find_run_dirs(tmp_path / "a-run") == [tmp_path / "a-run"]
    with pytest.raises(ResultsError, match="is not a folder"):
        find_run_dirs(tmp_path / "missing")
    existing = load_or_new(tmp_path / "a-run")
    assert existing.conformance is not None
    fresh = load_or_new(tmp_path / "new-run")
    assert fresh.run_id == "new-run" and fresh.conformance is None
    assert fresh.environment.cpus >= 1 and fresh.environment.python
