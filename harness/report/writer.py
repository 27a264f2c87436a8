"""Write a run folder's reports: summary.md, report.html and plots/*.png."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from harness.report.html_page import render_html
from harness.report.markdown import render_markdown
from harness.report.plots import Plot, scenario_plots
from harness.results.assemble import assemble_run, needs_assembly, producer_files
from harness.results.errors import ResultsError
from harness.results.model import RESULTS_FILE, RunResults

SUMMARY_FILE = "summary.md"
HTML_FILE = "report.html"
PLOTS_DIR = "plots"


@dataclass
class WrittenReport:
    """What `write_report` produced."""

    results: RunResults
    summary: Path
    html: Path
    plots: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def build_plots(results: RunResults, run_dir: Path) -> tuple[list[Plot], list[str]]:
    plots: list[Plot] = []
    notes: list[str] = []
    if results.performance is None:
        return plots, notes
    seen: set[str] = set()
    for scenario in results.performance.scenarios:
        found, problems = scenario_plots(scenario, run_dir)
        for plot in found:
            # Scenario names that differ only in punctuation could give the same file name.
            slug, index = plot.slug, 2
            while slug in seen:
                slug, index = f"{plot.slug}-{index}", index + 1
            seen.add(slug)
            plots.append(dataclasses.replace(plot, slug=slug))
        notes += problems
    return plots, notes


def write_report(
    run_dir: str | os.PathLike[str], output: str | os.PathLike[str] | None = None
) -> WrittenReport:
    """Read `run_dir/results.json` and write the summary, the HTML page and the plots
    into `output` (default: the run folder itself)."""
    source = Path(run_dir)
    notes: list[str] = []
    if needs_assembly(source):
        # The producers (gwh conformance, gwh bench) wrote newer files: join them first.
        results = assemble_run(source)
        names = ", ".join(p.name for p in producer_files(source))
        notes.append(f"{RESULTS_FILE} assembled from {names}")
    else:
        results = RunResults.load(source)
    target = Path(output) if output is not None else source
    try:
        (target / PLOTS_DIR).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ResultsError(f"cannot write reports into {target}: {e.strerror}") from e
    plots, plot_notes = build_plots(results, source)
    notes += plot_notes
    written = []
    for plot in plots:
        path = target / PLOTS_DIR / f"{plot.slug}.png"
        path.write_bytes(plot.png)
        written.append(path)
    summary = target / SUMMARY_FILE
    summary.write_text(render_markdown(results, plots, notes))
    html = target / HTML_FILE
    html.write_text(render_html(results, plots, notes))
    return WrittenReport(results, summary, html, written, notes)
