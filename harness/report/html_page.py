"""The run's self-contained HTML page (`report.html`): inline CSS, plots as base64 PNG.

An inline script sets `document.title` to `images:LOADED/TOTAL tables:N` once the page has
loaded, so a headless browser can check that every embedded image decoded.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from harness.report import formatting as fmt
from harness.report.markdown import verdict
from harness.report.plots import Plot
from harness.results.model import ConformanceSection, PerformanceSection, RunResults

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3} td.num{text-align:right;font-variant-numeric:tabular-nums}
.passed,.success{color:#1a7f37}.failed,.failure,.flaky{color:#cf222e;font-weight:600}
.skipped,.partial,.unsupported{color:#9a6700}
.warn{background:#fff8c5;border:1px solid #d4a72c;padding:.5em}
img{max-width:100%;display:block;margin:.5em 0}
""".strip()

ONLOAD_CHECK = """
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  var tables = document.getElementsByTagName('table').length;
  document.title = 'images:' + ok + '/' + imgs.length + ' tables:' + tables;
});
""".strip()


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    """A table; cells are already-escaped HTML."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    thead = f"<thead><tr>{head}</tr></thead>" if any(header) else ""
    return f"<table>{thead}<tbody>{body}</tbody></table>"


def _span(css: str, text: str) -> str:
    return f'<span class="{escape(css)}">{escape(text)}</span>'


def _header(results: RunResults) -> str:
    impl, cluster, env = results.implementation, results.cluster, results.environment
    rows = [
        [
            "Implementation",
            escape(impl.label + (f" ({impl.gateway_class})" if impl.gateway_class else "")),
        ],
        [
            "Cluster",
            escape(f"{cluster.provider} {cluster.name}, Kubernetes {cluster.kubernetes_version}"),
        ],
        ["Gateway API", escape(f"{cluster.gateway_api_version} {cluster.gateway_api_channel}")],
        ["Started / finished", escape(f"{results.started} / {results.finished}")],
        ["Command", f"<code>{escape(' '.join(results.command))}</code>"],
        [
            "Harness",
            escape(
                f"{env.harness_version} on {env.hostname} ({env.cpus} CPUs, "
                f"{env.memory_bytes / 2**30:.1f} GiB, Python {env.python})"
            ),
        ],
    ]
    word = verdict(results)
    css = {"PASSED": "passed", "FAILED": "failed"}.get(word, "")
    return (
        f"<h1>Gateway API run <code>{escape(results.run_id)}</code>: {_span(css, word)}</h1>"
        + _table(["", ""], rows, set())
    )


def _conformance(section: ConformanceSection) -> str:
    parts = ["<h2>Conformance</h2>"]
    if section.profiles:
        rows = [
            [
                escape(p.name),
                _span(p.core.result, fmt.level(p.core)),
                _span(p.extended.result, fmt.level(p.extended)),
            ]
            for p in section.profiles
        ]
        parts.append(_table(["Profile", "Core", "Extended"], rows, set()))
    else:
        parts.append("<p>No profile verdicts were recorded.</p>")
    supported, unsupported = fmt.features(section)
    parts.append(f"<p><b>Supported features:</b> {escape(fmt.join_or_dash(supported))}</p>")
    parts.append(f"<p><b>Unsupported features:</b> {escape(fmt.join_or_dash(unsupported))}</p>")
    if section.tests:
        rows = [
            [
                escape(name),
                _span(outcome, outcome),
                escape(fmt.duration(secs)),
                escape(fmt.short_message(msg, 2000)),
            ]
            for name, outcome, secs, msg in fmt.ordered_tests(section)
        ]
        parts.append("<h3>Tests</h3>")
        parts.append(_table(["Test", "Outcome", "Duration", "Message"], rows, {2}))
    return "".join(parts)


def _performance(section: PerformanceSection, plots: Sequence[Plot]) -> str:
    parts = ["<h2>Performance</h2>"]
    for scenario in section.scenarios:
        parts.append(f"<h3>{escape(scenario.name)}</h3>")
        if scenario.description:
            parts.append(f"<p>{escape(scenario.description)}</p>")
        if scenario.parameters:
            params = ", ".join(f"{k}={v}" for k, v in sorted(scenario.parameters.items()))
            parts.append(f"<p>Parameters: <code>{escape(params)}</code></p>")
        if scenario.generator_bound:
            parts.append(
                '<p class="warn">The load generator was the bottleneck; these '
                "numbers understate the gateway.</p>"
            )
        if scenario.notes:
            parts.append(
                "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in scenario.notes) + "</ul>"
            )
        if scenario.metrics:
            rows = [
                [
                    escape(m.name),
                    escape(fmt.number(m.value)),
                    escape(m.unit),
                    escape(m.better),
                    escape(fmt.sample_spread(m)),
                ]
                for m in scenario.metrics
            ]
            parts.append(_table(["Metric", "Value", "Unit", "Better", "Samples"], rows, {1}))
        for plot in (p for p in plots if p.scenario == scenario.name):
            data = base64.b64encode(plot.png).decode("ascii")
            parts.append(
                f'<figure><img alt="{escape(plot.title)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{escape(plot.title)}</figcaption></figure>"
            )
    return "".join(parts)


def render_html(results: RunResults, plots: Sequence[Plot] = (), notes: Sequence[str] = ()) -> str:
    """The whole page as one HTML string with no external references."""
    body = [_header(results)]
    if results.conformance is not None:
        body.append(_conformance(results.conformance))
    if results.performance is not None:
        body.append(_performance(results.performance, plots))
    if notes:
        body.append(
            "<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>gwh run {escape(results.run_id)}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(body)}<script>{ONLOAD_CHECK}</script></body></html>\n"
    )
