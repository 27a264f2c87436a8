"""`gwh report`, `gwh compare`, `gwh trend`: reports from run folders."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.cluster.errors import ClusterError
from harness.report.compare import RegressionPolicy, compare_runs, render_comparison
from harness.report.markdown import verdict as markdown_verdict
from harness.report.trend import write_trend
from harness.report.writer import write_report
from harness.results.assemble import load_run
from harness.results.errors import ResultsError

if TYPE_CHECKING:
    from harness.cli import Output

REGRESSION_EXIT_CODE = 3


def register(sub: Any) -> None:
    report = sub.add_parser(
        "report", help="write summary.md, report.html and plots/ for a run folder"
    )
    report.add_argument("run_dir", metavar="RUN_DIR", help="a run folder, reports/runs/<run-id>")
    report.add_argument("--output", help="write the reports here (default: the run folder)")
    report.set_defaults(handler=cmd_report)

    compare = sub.add_parser(
        "compare",
        help="put runs side by side; with --baseline, flag regressions beyond the noise",
        description=RegressionPolicy().describe(),
    )
    compare.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run folders")
    compare.add_argument("--baseline", metavar="RUN_DIR", help="judge the runs against this one")
    compare.add_argument(
        "--alpha", type=float, default=0.05, help="significance level (default: %(default)s)"
    )
    compare.add_argument(
        "--min-effect",
        type=float,
        default=0.05,
        help="smallest relative change of the median that counts, 0.05 = 5%% "
        "(default: %(default)s)",
    )
    compare.add_argument(
        "--min-samples",
        type=int,
        default=3,
        help="samples per run a metric needs to be judged (default: %(default)s)",
    )
    compare.add_argument(
        "--fail-on-regression",
        action="store_true",
        help=f"exit with code {REGRESSION_EXIT_CODE} when a regression is found",
    )
    compare.add_argument("--markdown", metavar="FILE", help="also write the comparison here")
    compare.set_defaults(handler=cmd_compare)

    trend = sub.add_parser("trend", help="plot every metric across the runs in a folder")
    trend.add_argument("dir", metavar="DIR", help="a folder of run folders, e.g. reports/runs")
    trend.add_argument("--output", help="write trend.png/.md/.html here (default: DIR/trend)")
    trend.set_defaults(handler=cmd_trend)


def _as_cli_error(error: ResultsError) -> ClusterError:
    return ClusterError(str(error))


def cmd_report(args: argparse.Namespace, out: Output) -> int:
    out.progress(f"reading {args.run_dir}")
    try:
        written = write_report(args.run_dir, args.output)
    except ResultsError as e:
        raise _as_cli_error(e) from e
    for note in written.notes:
        out.progress(f"note: {note}")
    verdict = markdown_verdict(written.results)
    human = (
        f"Run {written.results.run_id} ({verdict}):\n  summary: {written.summary}\n"
        f"  report:  {written.html}\n"
        f"  plots:   {len(written.plots)} in {written.html.parent / 'plots'}"
    )
    out.result(
        human,
        {
            "run_id": written.results.run_id,
            "passed": written.results.passed,
            "summary": str(written.summary),
            "html": str(written.html),
            "plots": [str(p) for p in written.plots],
            "notes": written.notes,
        },
    )
    return 0


def cmd_compare(args: argparse.Namespace, out: Output) -> int:
    try:
        policy = RegressionPolicy(args.alpha, args.min_effect, args.min_samples)
        runs = [load_run(d) for d in args.run_dirs]
        baseline = load_run(args.baseline) if args.baseline else None
        comparison = compare_runs(runs, baseline, policy)
    except ResultsError as e:
        raise _as_cli_error(e) from e
    text = render_comparison(comparison)
    if args.markdown:
        Path(args.markdown).write_text(text)
        out.progress(f"comparison written to {args.markdown}")
    out.result(text, comparison.to_dict())
    if comparison.regressions and args.fail_on_regression:
        out.progress(f"{len(comparison.regressions)} regression(s) found")
        return REGRESSION_EXIT_CODE
    return 0


def cmd_trend(args: argparse.Namespace, out: Output) -> int:
    try:
        written = write_trend(args.dir, args.output)
    except ResultsError as e:
        raise _as_cli_error(e) from e
    for skipped in written.trend.skipped:
        out.progress(f"skipped: {skipped}")
    trend = written.trend
    out.result(
        f"Trend over {len(trend.run_ids)} runs, {len(trend.metrics)} metrics:\n"
        f"  plot:  {written.png}\n  table: {written.markdown}\n  page:  {written.html}",
        {
            "runs": trend.run_ids,
            "metrics": [f"{m.scenario}/{m.metric}" for m in trend.metrics],
            "png": str(written.png),
            "markdown": str(written.markdown),
            "html": str(written.html),
            "skipped": trend.skipped,
        },
    )
    return 0
