"""`gwh trend DIR`: every metric across many runs, ordered by start time (PNG, Markdown, HTML)."""

from __future__ import annotations

import base64
import math
import os
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from harness.report import formatting as fmt
from harness.report.markdown import table
from harness.results.assemble import load_run
from harness.results.errors import ResultsError
from harness.results.model import RunResults
from harness.results.run_dir import find_run_dirs

TABLE_RUNS = 10  # the table shows the latest runs; the plot shows all
PANEL_COLUMNS = 2


@dataclass
class MetricTrend:
    """One (scenario, metric) over the runs that measured it."""

    scenario: str
    metric: str
    unit: str
    better: str
    points: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # id: v,lo,hi


@dataclass
class Trend:
    run_ids: list[str]
    started: list[str]
    metrics: list[MetricTrend]
    skipped: list[str]


def load_runs(root: str | os.PathLike[str]) -> tuple[list[RunResults], list[str]]:
    """Valid runs below `root` sorted by start time, and messages for folders that were not."""
    runs, skipped = [], []
    for folder in find_run_dirs(root):
        try:
            runs.append(load_run(folder))
        except ResultsError as e:
            skipped.append(str(e))
    runs.sort(key=lambda r: (r.started, r.run_id))
    return runs, skipped


def build_trend(runs: list[RunResults], skipped: list[str] | None = None) -> Trend:
    metrics: dict[tuple[str, str], MetricTrend] = {}
    for run in runs:
        if run.performance is None:
            continue
        for scenario in run.performance.scenarios:
            for metric in scenario.metrics:
                key = (scenario.name, metric.name)
                trend = metrics.setdefault(
                    key, MetricTrend(scenario.name, metric.name, metric.unit, metric.better)
                )
                low = min(metric.samples) if metric.samples else metric.value
                high = max(metric.samples) if metric.samples else metric.value
                trend.points[run.run_id] = (metric.value, low, high)
    return Trend(
        [r.run_id for r in runs], [r.started for r in runs], list(metrics.values()), skipped or []
    )


def render_trend_png(trend: Trend) -> bytes:
    """One panel per metric: value per run (x: runs by start time), bars spanning the samples."""
    import io

    count = max(1, len(trend.metrics))
    rows = math.ceil(count / PANEL_COLUMNS)
    figure = Figure(figsize=(6.0 * PANEL_COLUMNS, 2.8 * rows))
    FigureCanvasAgg(figure)
    positions = {run_id: i for i, run_id in enumerate(trend.run_ids)}
    for index, metric in enumerate(trend.metrics):
        ax = figure.add_subplot(rows, PANEL_COLUMNS, index + 1)
        ids = [r for r in trend.run_ids if r in metric.points]
        xs = [positions[r] for r in ids]
        values = [metric.points[r][0] for r in ids]
        lows = [v - metric.points[r][1] for r, v in zip(ids, values, strict=True)]
        highs = [metric.points[r][2] - v for r, v in zip(ids, values, strict=True)]
        ax.errorbar(xs, values, yerr=[lows, highs], marker="o", markersize=3, capsize=2)
        ax.set_title(f"{metric.scenario}: {metric.metric} ({metric.better} is better)", fontsize=9)
        ax.set_ylabel(metric.unit, fontsize=8)
        ax.set_xticks(xs)
        ax.set_xticklabels(
            [trend.started[positions[r]][:10] or r[:15] for r in ids], rotation=30, fontsize=7
        )
        ax.grid(True, alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def _table_rows(trend: Trend) -> tuple[list[str], list[list[str]]]:
    recent = trend.run_ids[-TABLE_RUNS:]
    header = ["Scenario", "Metric", "Unit", *recent, "Last change"]
    rows = []
    for metric in trend.metrics:
        cells = [fmt.number(metric.points[r][0]) if r in metric.points else "-" for r in recent]
        measured = [metric.points[r][0] for r in trend.run_ids if r in metric.points]
        change = fmt.percent_change(measured[-1], measured[-2]) if len(measured) >= 2 else "-"
        rows.append([metric.scenario, metric.metric, metric.unit, *cells, change])
    return header, rows


def render_trend_markdown(trend: Trend, png_name: str) -> str:
    header, rows = _table_rows(trend)
    lines = [f"# Trend over {len(trend.run_ids)} runs", "", f"![trend]({png_name})", ""]
    lines += table(header, rows) if rows else ["No run recorded performance metrics."]
    if trend.skipped:
        lines += ["", "Skipped folders:", "", *[f"- {s}" for s in trend.skipped]]
    return "\n".join(lines) + "\n"


def render_trend_html(trend: Trend, png: bytes) -> str:
    header, rows = _table_rows(trend)
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    image = base64.b64encode(png).decode("ascii")
    skipped = "".join(f"<li>{escape(s)}</li>" for s in trend.skipped)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>gwh trend</title>'
        "<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2em .5em}img{max-width:100%}</style></head><body>"
        f"<h1>Trend over {len(trend.run_ids)} runs</h1>"
        f'<img alt="trend" src="data:image/png;base64,{image}">'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        + (f"<h2>Skipped folders</h2><ul>{skipped}</ul>" if skipped else "")
        + "</body></html>\n"
    )


@dataclass
class WrittenTrend:
    trend: Trend
    png: Path
    markdown: Path
    html: Path


def write_trend(
    root: str | os.PathLike[str], output: str | os.PathLike[str] | None = None
) -> WrittenTrend:
    """Read every run below `root` and write trend.png, trend.md, trend.html to `output`
    (default `root/trend`)."""
    runs, skipped = load_runs(root)
    if not runs:
        detail = f" ({len(skipped)} invalid: {skipped[0]})" if skipped else ""
        raise ResultsError(
            f"{root} holds no run folders{detail}; pass the folder of runs, e.g. reports/runs/"
        )
    trend = build_trend(runs, skipped)
    target = Path(output) if output is not None else Path(root) / "trend"
    target.mkdir(parents=True, exist_ok=True)
    png = render_trend_png(trend)
    png_path = target / "trend.png"
    png_path.write_bytes(png)
    markdown = target / "trend.md"
    markdown.write_text(render_trend_markdown(trend, png_path.name))
    html = target / "trend.html"
    html.write_text(render_trend_html(trend, png))
    return WrittenTrend(trend, png_path, markdown, html)
