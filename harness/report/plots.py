"""PNG plots of a run's performance scenarios (matplotlib, Agg canvas, no pyplot state).

What is drawn is driven by the data present in each scenario:

- `series`: names `group.line` (or `group`); the lines of one group share a figure (overlaid
  when their y units agree, stacked panels otherwise). The bench suites' names are grouped
  too: `latency_throughput_<line>`, `<line>_by_routes`, `cdf_<line>`. Known groups get their
  usual titles: `latency_vs_throughput` (the latency-throughput curve), `route_scale` (route
  count vs throughput, latency, memory), `errors_over_time` (errors per second during churn),
  `cdf` (cumulative distributions, e.g. reconcile latency, drawn as steps).
- `histograms`: each HDR histogram is drawn as a latency percentile spectrum; one whose name
  mentions `reconcile` as a cumulative distribution.
- `metrics`: a metric named `reconcile...` with repeated samples gives a CDF when no reconcile
  histogram exists; `latency_pNN` metrics give a percentile bar chart when no histogram does.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from harness.load.latency_histogram import decode
from harness.results.model import Metric, Scenario, Series

KNOWN_GROUPS = {
    "latency_vs_throughput": "Latency vs throughput",
    "route_scale": "Route scale",
    "errors_over_time": "Errors over time",
    "responses_over_time": "Responses over time",
    "reconcile_latency_cdf": "Reconcile latency CDF",
    "cdf": "Cumulative distribution",
}
SPECTRUM_PERCENTILES = (0.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.99, 99.999)
_PERCENTILE_METRIC = re.compile(r"^(?:(?P<prefix>.+)_)?latency_p(?P<digits>\d+)$")
_UNIT = re.compile(r"\(([^()]*)\)\s*$")


@dataclass(frozen=True)
class Plot:
    """One rendered figure."""

    slug: str  # file name without .png, unique within a run
    title: str
    scenario: str
    png: bytes


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-").lower() or "plot"


def _render(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _new_figure(panels: int = 1) -> tuple[Figure, list[Axes]]:
    figure = Figure(figsize=(7.0, 3.2 * panels))
    axes = [figure.add_subplot(panels, 1, i + 1) for i in range(panels)]
    for ax in axes:
        ax.grid(True, alpha=0.3)
    return figure, axes


def _group_title(group: str) -> str:
    return KNOWN_GROUPS.get(group, group.replace("_", " ").capitalize())


def series_group(name: str) -> tuple[str, str]:
    """(group, line) of a series name; lines of one group are drawn in one figure."""
    if "." in name:
        group, _, line = name.partition(".")
        return group, line or group
    if name.startswith("latency_throughput_"):
        return "latency_vs_throughput", name.removeprefix("latency_throughput_")
    if name.endswith("_by_routes"):
        return "route_scale", name.removesuffix("_by_routes")
    if name.startswith("cdf_"):
        return "cdf", name.removeprefix("cdf_")
    return name, name


def _unit(label: str) -> str:
    """`p99 latency (ms)` -> `ms`; a label without parentheses is its own unit."""
    match = _UNIT.search(label)
    return match.group(1) if match else label


def series_plots(scenario: Scenario) -> list[Plot]:
    """One figure per series group of the scenario; empty series are left out."""
    groups: dict[str, list[tuple[str, Series]]] = {}
    for name, series in scenario.series.items():
        if not series.x:
            continue
        group, line = series_group(name)
        groups.setdefault(group, []).append((line, series))
    plots = []
    for group, lines in groups.items():
        units = {_unit(s.y_label) for _, s in lines}
        overlay = len(units) == 1
        figure, axes = _new_figure(1 if overlay else len(lines))
        for index, (line, series) in enumerate(lines):
            ax = axes[0] if overlay else axes[index]
            if group == "errors_over_time" and len(lines) == 1:
                ax.bar(series.x, series.y, width=0.9, color="tab:red", label=line)
            elif group == "cdf":
                ax.step(series.x, series.y, where="post", label=line)
            else:
                ax.plot(series.x, series.y, marker="o", markersize=3, label=line)
            ax.set_xlabel(series.x_label)
            labels = {s.y_label for _, s in lines}
            ax.set_ylabel(
                series.y_label if len(labels) == 1 or not overlay else _unit(series.y_label)
            )
            if len(lines) > 1:
                ax.legend(loc="best", fontsize="small")
        title = f"{scenario.name}: {_group_title(group)}"
        axes[0].set_title(title)
        png = _render(figure)
        plots.append(Plot(_slug(f"{scenario.name}-{group}"), title, scenario.name, png))
    return plots


def _spectrum_axis(ax: Axes) -> None:
    """Log x axis of 1/(1-p): the usual HDR percentile spectrum layout."""
    ticks = [50.0, 90.0, 99.0, 99.9, 99.99, 99.999]
    ax.set_xscale("log")
    ax.set_xticks([1.0 / (1.0 - p / 100.0) for p in ticks])
    ax.set_xticklabels([f"{p:g}%" for p in ticks])
    ax.set_xlabel("percentile")


def histogram_plots(scenario: Scenario, run_dir: Path) -> tuple[list[Plot], list[str]]:
    """Percentile spectra (or CDFs for reconcile histograms); notes name unreadable files."""
    plots: list[Plot] = []
    notes: list[str] = []
    for name, relative in scenario.histograms.items():
        path = run_dir / relative
        try:
            histogram = decode(path.read_text().strip())
        except (OSError, ValueError, TypeError) as e:
            notes.append(f"histogram {relative} of {scenario.name} could not be read: {e}")
            continue
        if histogram.get_total_count() == 0:
            continue
        figure, (ax,) = _new_figure()
        if "reconcile" in name:
            points = [
                (float(v.value_iterated_to) / 1000.0, v.percentile)
                for v in histogram.get_recorded_iterator()
            ]
            xs = [p[0] for p in points]
            ys = [p[1] / 100.0 for p in points]
            ax.step(xs, ys, where="post")
            ax.set_xlabel("milliseconds")
            ax.set_ylabel("fraction of samples")
            title = f"{scenario.name}: Reconcile latency CDF ({name})"
        else:
            percentiles = SPECTRUM_PERCENTILES
            xs = [1.0 / (1.0 - p / 100.0) for p in percentiles]
            ys = [histogram.get_value_at_percentile(p) / 1000.0 for p in percentiles]
            ax.plot(xs, ys, marker="o", markersize=3)
            _spectrum_axis(ax)
            ax.set_ylabel("latency (ms)")
            count = histogram.get_total_count()
            title = f"{scenario.name}: Latency percentiles ({name}, {count} samples)"
        ax.set_title(title)
        plots.append(
            Plot(_slug(f"{scenario.name}-hist-{name}"), title, scenario.name, _render(figure))
        )
    return plots, notes


def _cdf_plot(scenario: Scenario, metric: Metric) -> Plot:
    values = sorted(metric.samples)
    figure, (ax,) = _new_figure()
    ax.step(values, [(i + 1) / len(values) for i in range(len(values))], where="post")
    ax.set_xlabel(metric.unit or metric.name)
    ax.set_ylabel("fraction of samples")
    title = f"{scenario.name}: Reconcile latency CDF ({metric.name}, {len(values)} samples)"
    ax.set_title(title)
    return Plot(_slug(f"{scenario.name}-cdf-{metric.name}"), title, scenario.name, _render(figure))


def _percentile_lines(scenario: Scenario, by_prefix: dict[str, list[tuple[str, Metric]]]) -> Plot:
    """One line of latency percentiles per load level (metric name prefix)."""
    figure, (ax,) = _new_figure()
    for prefix, metrics in by_prefix.items():
        # p999 sorts after p99: compare as fractions 0.5, 0.99, 0.999.
        metrics = sorted(metrics, key=lambda item: float("0." + item[0]))
        labels = [f"p{digits}" for digits, _ in metrics]
        ax.plot(labels, [m.value for _, m in metrics], marker="o", label=prefix or "latency")
        ax.set_ylabel(metrics[0][1].unit or "value")
    if len(by_prefix) > 1:
        ax.legend(loc="best", fontsize="small")
    title = f"{scenario.name}: Latency percentiles"
    ax.set_title(title)
    return Plot(_slug(f"{scenario.name}-percentiles"), title, scenario.name, _render(figure))


def metric_plots(scenario: Scenario) -> list[Plot]:
    """CDFs of reconcile samples and a percentile bar chart, where histograms do not cover them."""
    plots = []
    has_reconcile_histogram = any("reconcile" in n for n in scenario.histograms)
    if not has_reconcile_histogram and "reconcile_latency_cdf" not in scenario.series:
        for metric in scenario.metrics:
            if metric.name.startswith("reconcile") and len(metric.samples) >= 2:
                plots.append(_cdf_plot(scenario, metric))
    latency_histograms = [n for n in scenario.histograms if "reconcile" not in n]
    if not latency_histograms:
        by_prefix: dict[str, list[tuple[str, Metric]]] = {}
        for metric in scenario.metrics:
            match = _PERCENTILE_METRIC.match(metric.name)
            if match:
                prefix = match.group("prefix") or ""
                by_prefix.setdefault(prefix, []).append((match.group("digits"), metric))
        by_prefix = {k: v for k, v in by_prefix.items() if len(v) >= 2}
        if by_prefix:
            plots.append(_percentile_lines(scenario, by_prefix))
    return plots


def scenario_plots(scenario: Scenario, run_dir: Path) -> tuple[list[Plot], list[str]]:
    """Every plot the scenario's data supports, and notes on data that could not be drawn."""
    from_histograms, notes = histogram_plots(scenario, run_dir)
    return [*series_plots(scenario), *from_histograms, *metric_plots(scenario)], notes
