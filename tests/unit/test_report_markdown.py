"""summary.md: verdicts, per-test outcomes, features and performance tables."""

from __future__ import annotations

from pathlib import Path

from harness.report.markdown import cell, render_markdown
from harness.report.writer import write_report
from harness.results import (
    ConformanceSection,
    CoreLevel,
    ExtendedLevel,
    Metric,
    PerformanceSection,
    ProfileResult,
    RunResults,
    Scenario,
    TestOutcome,
)
from harness.results.sample_run import write_sample_run


def table_rows(markdown: str, first_cell: str) -> list[list[str]]:
    rows = []
    for line in markdown.splitlines():
        if line.startswith(f"| {first_cell} |"):
            rows.append([c.strip() for c in line.strip("|").split(" | ")])
    return rows


def test_summary_has_verdicts_tests_features_and_metrics(tmp_path: Path) -> None:
    written = write_report(write_sample_run(tmp_path))
    text = written.summary.read_text()
    assert text.startswith("# Gateway API run `20261126T000000Z-sample`: FAILED")
    assert table_rows(text, "GATEWAY-HTTP") == [
        [
            "GATEWAY-HTTP",
            "failure (1 passed, 2 failed, 1 skipped)",
            "success (3 passed, 0 failed, 0 skipped)",
        ]
    ]
    assert "**Supported features:** HTTPRouteQueryParamMatching" in text
    assert "**Unsupported features:** HTTPRouteRequestMirror" in text
    failed = table_rows(text, "HTTPRouteHeaderMatching")[0]
    # The pipe inside the failure message is escaped so the table keeps four columns.
    assert failed[1:3] == ["❌ failed", "30.50s"]
    assert "got infra-backend-v1 \\| status 200" in failed[3]
    test_section = text[text.index("### Tests") :]
    assert test_section.index("HTTPRouteHeaderMatching") < test_section.index(
        "HTTPRouteSimpleSameNamespace"
    ), "failures come first"
    throughput = table_rows(text, "throughput")[0]
    assert throughput[2:4] == ["req/s", "higher"] and throughput[4].startswith("n=8, ")
    assert "the load generator was the bottleneck" in text
    assert "(plots/route-scale-route_scale.png)" in text


def test_summary_without_conformance_or_performance() -> None:
    text = render_markdown(RunResults(run_id="empty"))
    assert "no conformance verdict" in text.splitlines()[0]
    assert "neither conformance nor performance" in text


def test_passing_run_and_message_shortening() -> None:
    long_message = "x" * 1000
    run = RunResults(
        run_id="ok",
        conformance=ConformanceSection(
            profiles=[
                ProfileResult("GATEWAY-HTTP", CoreLevel("success", 3), ExtendedLevel("none"))
            ],
            tests=[TestOutcome("A", "skipped", 0.0, long_message)],
        ),
        performance=PerformanceSection(
            [Scenario("s", metrics=[Metric("memory", "MiB", "lower", 123456.0)])]
        ),
    )
    text = render_markdown(run)
    assert text.startswith("# Gateway API run `ok`: PASSED")
    assert "success (3 passed, 0 failed, 0 skipped) | not run |" in text
    message = table_rows(text, "A")[0][3]
    assert len(message) == 400 and message.endswith("…")
    assert table_rows(text, "memory")[0][1:] == ["123,456", "MiB", "lower", "-"]


def test_cell_escapes_table_syntax() -> None:
    assert cell("a|b\nc") == "a\\|b c"
    assert cell("") == " "
