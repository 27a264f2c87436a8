"""`gwh trend`: metrics across runs, ordered by start time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.report.trend import write_trend
from harness.results import ResultsError
from harness.results.sample_run import write_sample_run


def test_trend_orders_runs_by_start_and_writes_png_table_and_page(tmp_path: Path) -> None:
    # Folder names sort the other way round from the start times.
    for index, day in enumerate((24, 22, 23)):
        write_sample_run(
            tmp_path,
            f"run-{index}",
            seed=index,
            latency_scale=1.0 + index / 10,
            started=f"2026-11-{day}T03:00:00Z",
        )
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "results.json").write_text(json.dumps({"schema": "x"}))
    written = write_trend(tmp_path)
    assert written.trend.run_ids == ["run-1", "run-2", "run-0"]
    assert written.png.read_bytes().startswith(b"\x89PNG")
    assert written.png.parent == tmp_path / "trend"
    table = written.markdown.read_text()
    assert "| Scenario | Metric | Unit | run-1 | run-2 | run-0 | Last change |" in table
    p99_row = next(line for line in table.splitlines() if "| latency_p99 |" in line)
    assert p99_row.count("|") == 8
    assert len(written.trend.skipped) == 1 and "broken" in written.trend.skipped[0]
    html = written.html.read_text()
    assert "data:image/png;base64," in html and "<table>" in html


def test_trend_of_a_folder_without_runs_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="holds no run folders"):
        write_trend(tmp_path)
    with pytest.raises(ResultsError, match="is not a folder"):
        write_trend(tmp_path / "missing")
