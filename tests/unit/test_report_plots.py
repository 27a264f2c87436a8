"""Plots are drawn from the data a scenario has, and skipped when it is absent."""

from __future__ import annotations

from pathlib import Path

from harness.report.plots import scenario_plots
from harness.report.writer import write_report
from harness.results import Metric, PerformanceSection, RunResults, Scenario, Series
from harness.results.sample_run import write_sample_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_sample_run_gets_every_kind_of_plot(tmp_path: Path) -> None:
    written = write_report(write_sample_run(tmp_path))
    names = sorted(p.name for p in written.plots)
    assert names == [
        "listener-throughput-hist-latency.png",
        "listener-throughput-latency_vs_throughput.png",
        "reconcile-latency-hist-reconcile_first_request.png",
        "route-churn-errors_over_time.png",
        "route-scale-route_scale.png",
    ]
    for path in written.plots:
        assert path.read_bytes().startswith(PNG_MAGIC)
        assert path.parent == tmp_path / "20261126T000000Z-sample" / "plots"
    assert written.notes == []


def test_no_data_no_plots(tmp_path: Path) -> None:
    bare = Scenario("bare", metrics=[Metric("throughput", "req/s", "higher", 10.0)])
    empty_series = Scenario("empty", series={"route_scale.memory": Series([], [], "routes", "MiB")})
    assert scenario_plots(bare, tmp_path) == ([], [])
    assert scenario_plots(empty_series, tmp_path) == ([], [])


def test_reconcile_samples_and_percentile_metrics_are_drawn_without_histograms(
    tmp_path: Path,
) -> None:
    scenario = Scenario(
        "reconcile",
        metrics=[
            Metric("reconcile_latency", "ms", "lower", 50.0, [40.0, 50.0, 70.0]),
            Metric("latency_p999", "ms", "lower", 9.0),
            Metric("latency_p50", "ms", "lower", 1.0),
        ],
    )
    plots, notes = scenario_plots(scenario, tmp_path)
    assert [p.title for p in plots] == [
        "reconcile: Reconcile latency CDF (reconcile_latency, 3 samples)",
        "reconcile: Latency percentiles",
    ]
    assert notes == []


def test_overlaid_lines_share_one_axis_and_mixed_units_get_panels(tmp_path: Path) -> None:
    same_unit = Scenario(
        "curve",
        series={
            "latency_vs_throughput.p50": Series([1.0, 2.0], [1.0, 2.0], "req/s", "ms"),
            "latency_vs_throughput.p99": Series([1.0, 2.0], [3.0, 4.0], "req/s", "ms"),
            "custom_thing": Series([1.0], [1.0], "a", "b"),
        },
    )
    plots, _ = scenario_plots(same_unit, tmp_path)
    assert [p.title for p in plots] == ["curve: Latency vs throughput", "curve: Custom thing"]
    assert all(p.png.startswith(PNG_MAGIC) for p in plots)


def test_unreadable_histogram_becomes_a_note(tmp_path: Path) -> None:
    (tmp_path / "histograms").mkdir()
    (tmp_path / "histograms" / "broken.hdr").write_text("not a histogram\n")
    scenario = Scenario(
        "h", histograms={"latency": "histograms/broken.hdr", "gone": "histograms/missing.hdr"}
    )
    plots, notes = scenario_plots(scenario, tmp_path)
    assert plots == []
    assert len(notes) == 2 and all("could not be read" in n for n in notes)
    run = RunResults("r", performance=PerformanceSection([scenario]))
    run.save(tmp_path)
    written = write_report(tmp_path)
    assert "histograms/missing.hdr of h could not be read" in written.summary.read_text()
