"""`gwh report`, `gwh compare`, `gwh trend` through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.results.sample_run import write_sample_run


def test_report_writes_files_and_prints_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = write_sample_run(tmp_path)
    assert main(["-q", "--json", "report", str(run_dir)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run_id"] == run_dir.name and data["passed"] is False
    assert Path(data["summary"]).is_file() and Path(data["html"]).is_file()
    assert len(data["plots"]) == 5


def test_report_on_a_non_run_folder_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"gwh: error: {tmp_path} is not a run folder (no results.json)" in err


def test_compare_exit_code_on_regression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_sample_run(tmp_path, "base", seed=1)
    same = write_sample_run(tmp_path, "same", seed=2)
    slow = write_sample_run(tmp_path, "slow", seed=3, latency_scale=1.3)
    markdown = tmp_path / "compare.md"
    args = ["compare", str(same), "--baseline", str(base), "--fail-on-regression"]
    assert main(["-q", *args]) == 0
    assert "No regression beyond the measured noise." in capsys.readouterr().out
    args = ["compare", str(slow), "--baseline", str(base), "--markdown", str(markdown)]
    assert main(["-q", *args]) == 0  # reported, but only --fail-on-regression fails the job
    assert main(["-q", *args, "--fail-on-regression"]) == 3
    text = markdown.read_text()
    assert "slow: listener-throughput/latency_p99 worse by" in text
    assert "one-sided Mann-Whitney U" in text


def test_compare_of_unrelated_runs_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = write_sample_run(tmp_path, "a")
    other = tmp_path / "b"
    other.mkdir()
    (other / "results.json").write_text(
        json.dumps({"schema": "gateway-harness/run-results/v1", "run_id": "b"})
    )
    assert main(["compare", str(run), str(other)]) == 1
    assert "runs a and b have nothing in common" in capsys.readouterr().err


def test_trend_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_sample_run(tmp_path, "one", started="2026-11-01T00:00:00Z")
    write_sample_run(tmp_path, "two", seed=2, started="2026-11-02T00:00:00Z")
    assert main(["-q", "--json", "trend", str(tmp_path), "--output", str(tmp_path / "t")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["runs"] == ["one", "two"]
    assert "listener-throughput/latency_p99" in data["metrics"]
    assert (tmp_path / "t" / "trend.png").is_file()
