"""The run's Markdown summary (`summary.md`), fit for a CI job summary or a PR comment."""

from __future__ import annotations

from collections.abc import Sequence

from harness.report import formatting as fmt
from harness.report.plots import Plot
from harness.results.model import ConformanceSection, PerformanceSection, RunResults

OUTCOME_MARK = {
    "passed": "✅ passed",
    "failed": "❌ failed",
    "flaky": "⚠️ flaky",
    "skipped": "⏭️ skipped",
    "unsupported": "🚫 unsupported",
}


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ") or " "


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def verdict(results: RunResults) -> str:
    if results.conformance is None:
        return "no conformance verdict"
    return "PASSED" if results.passed else "FAILED"


def header_lines(results: RunResults) -> list[str]:
    impl, cluster, env = results.implementation, results.cluster, results.environment
    implementation = impl.label + (
        f" (GatewayClass `{impl.gateway_class}`)" if impl.gateway_class else ""
    )
    api = cluster.gateway_api_version + (
        f" ({cluster.gateway_api_channel})" if cluster.gateway_api_channel else ""
    )
    rows = [
        ["Implementation", implementation],
        [
            "Cluster",
            f"{cluster.provider or '?'} `{cluster.name or '-'}`, Kubernetes "
            f"{cluster.kubernetes_version or '?'}",
        ],
        ["Gateway API", api or "?"],
        ["Started / finished", f"{results.started or '?'} / {results.finished or '?'}"],
        ["Command", f"`{' '.join(results.command)}`" if results.command else "-"],
        [
            "Harness",
            f"{env.harness_version or '?'} on {env.hostname or '?'} "
            f"({env.cpus} CPUs, {env.memory_bytes / 2**30:.1f} GiB, Python {env.python or '?'})",
        ],
    ]
    return [f"# Gateway API run `{results.run_id}`: {verdict(results)}", "", *table(["", ""], rows)]


def conformance_lines(section: ConformanceSection) -> list[str]:
    lines = ["", "## Conformance", ""]
    if section.profiles:
        lines += table(
            ["Profile", "Core", "Extended"],
            [[p.name, fmt.level(p.core), fmt.level(p.extended)] for p in section.profiles],
        )
    else:
        lines.append("No profile verdicts were recorded.")
    supported, unsupported = fmt.features(section)
    lines += [
        "",
        f"**Supported features:** {fmt.join_or_dash(supported)}",
        "",
        f"**Unsupported features:** {fmt.join_or_dash(unsupported)}",
    ]
    if section.tests:
        counts: dict[str, int] = {}
        for test in section.tests:
            counts[test.outcome] = counts.get(test.outcome, 0) + 1
        summary = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
        lines += ["", f"### Tests ({summary})", ""]
        lines += table(
            ["Test", "Outcome", "Duration", "Message"],
            [
                [
                    name,
                    OUTCOME_MARK.get(outcome, outcome),
                    fmt.duration(secs),
                    fmt.short_message(msg),
                ]
                for name, outcome, secs, msg in fmt.ordered_tests(section)
            ],
        )
    lines.append(f"\nFiles: `{section.report_yaml}`, `{section.junit_xml}`")
    return lines


def performance_lines(section: PerformanceSection, plots: Sequence[Plot]) -> list[str]:
    lines = ["", "## Performance"]
    for scenario in section.scenarios:
        lines += ["", f"### {scenario.name}", ""]
        if scenario.description:
            lines += [scenario.description, ""]
        if scenario.parameters:
            params = ", ".join(f"`{k}={v}`" for k, v in sorted(scenario.parameters.items()))
            lines += [f"Parameters: {params}", ""]
        if scenario.generator_bound:
            lines += [
                "> **Warning:** the load generator was the bottleneck; the numbers "
                "below understate the gateway.",
                "",
            ]
        for note in scenario.notes:
            lines.append(f"- {note}")
        if scenario.notes:
            lines.append("")
        if scenario.metrics:
            lines += table(
                ["Metric", "Value", "Unit", "Better", "Samples"],
                [
                    [m.name, fmt.number(m.value), m.unit, m.better, fmt.sample_spread(m)]
                    for m in scenario.metrics
                ],
            )
        own = [p for p in plots if p.scenario == scenario.name]
        if own:
            lines += ["", "Plots: " + ", ".join(f"[{p.title}](plots/{p.slug}.png)" for p in own)]
    return lines


def render_markdown(
    results: RunResults, plots: Sequence[Plot] = (), notes: Sequence[str] = ()
) -> str:
    """The whole summary as Markdown text."""
    lines = header_lines(results)
    if results.conformance is not None:
        lines += conformance_lines(results.conformance)
    if results.performance is not None:
        lines += performance_lines(results.performance, plots)
    if results.conformance is None and results.performance is None:
        lines += ["", "This run recorded neither conformance nor performance results."]
    if notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in notes]]
    return "\n".join(lines) + "\n"
