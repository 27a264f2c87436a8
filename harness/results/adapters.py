"""Turn the producers' outputs (conformance results, load results) into run-results parts."""

from __future__ import annotations

import os
import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from harness.results.errors import ResultsError
from harness.results.model import (
    ConformanceSection,
    CoreLevel,
    ExtendedLevel,
    Implementation,
    Metric,
    ProfileResult,
    Scenario,
    Series,
    TestOutcome,
)

CONFORMANCE_RESULTS_SCHEMA = "gateway-harness/conformance-results/v1"
LOAD_RESULT_SCHEMA = "gateway-harness/load-result/v1"

# The conformance plugin's outcome names -> the run model's.
_OUTCOMES = {
    "passed": "passed",
    "failed": "failed",
    "flaky": "flaky",
    "skipped": "skipped",
    "provisional-skipped": "skipped",
    "not-supported": "unsupported",
}


def from_conformance_results(
    results: Mapping[str, Any],
    report: Mapping[str, Any] | None = None,
    *,
    report_yaml: str = "conformance-report.yaml",
    junit_xml: str = "junit.xml",
) -> ConformanceSection:
    """The conformance section from the plugin's results JSON and (for verdicts) its report YAML.

    `results` is a `gateway-harness/conformance-results/v1` document; `report` the
    upstream ConformanceReport as a dict. Without a report there are no profile verdicts.
    """
    if results.get("schema") != CONFORMANCE_RESULTS_SCHEMA:
        raise ResultsError(
            f"conformance results have schema {results.get('schema')!r}, expected "
            f"{CONFORMANCE_RESULTS_SCHEMA!r}; pass the JSON the conformance plugin wrote"
        )
    tests = []
    for test in results.get("tests", []):
        outcome = _OUTCOMES.get(test.get("outcome", ""))
        if outcome is None:
            raise ResultsError(
                f"conformance test {test.get('shortName')!r} has unknown outcome "
                f"{test.get('outcome')!r}; known: {', '.join(_OUTCOMES)}"
            )
        tests.append(
            TestOutcome(
                short_name=str(test["shortName"]),
                outcome=outcome,
                duration_s=float(test.get("durationSeconds", 0.0)),
                message=str(test.get("failureMessage") or test.get("skipReason") or ""),
                features=sorted(test.get("features", [])),
            )
        )
    profiles = [_profile(p) for p in (report or {}).get("profiles", [])]
    return ConformanceSection(
        profiles=profiles, tests=tests, report_yaml=report_yaml, junit_xml=junit_xml
    )


def _profile(data: Mapping[str, Any]) -> ProfileResult:
    core = data.get("core", {})
    stats = core.get("statistics", {})
    extended = data.get("extended")
    ext_stats = (extended or {}).get("statistics", {})
    return ProfileResult(
        name=str(data["name"]),
        core=CoreLevel(
            result=str(core.get("result", "none")),
            passed=int(stats.get("Passed", 0)),
            failed=int(stats.get("Failed", 0)),
            skipped=int(stats.get("Skipped", 0)),
            failed_tests=list(core.get("failedTests", [])),
            skipped_tests=list(core.get("skippedTests", [])),
        ),
        extended=ExtendedLevel(
            result=str(extended.get("result", "none")) if extended else "none",
            passed=int(ext_stats.get("Passed", 0)),
            failed=int(ext_stats.get("Failed", 0)),
            skipped=int(ext_stats.get("Skipped", 0)),
            supported_features=list((extended or {}).get("supportedFeatures", [])),
            unsupported_features=list((extended or {}).get("unsupportedFeatures", [])),
        ),
    )


def implementation_from_report(
    report: Mapping[str, Any], gateway_class: str = ""
) -> Implementation:
    """The implementation block of an upstream ConformanceReport dict."""
    impl = report.get("implementation", {})
    return Implementation(
        gateway_class=gateway_class,
        organization=str(impl.get("organization", "")),
        project=str(impl.get("project", "")),
        url=str(impl.get("url", "")),
        version=str(impl.get("version", "")),
        contact=list(impl.get("contact", [])),
    )


class _HasToDict(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


LoadResultLike = _HasToDict | Mapping[str, Any]


@dataclass(frozen=True)
class LoadQuantity:
    """How to read one metric out of a load result document."""

    unit: str
    better: str
    read: Callable[[Mapping[str, Any]], float]


def _latency_ms(key: str, part: str = "latency") -> Callable[[Mapping[str, Any]], float]:
    return lambda d: float(d[part][key]) / 1000.0


def _error_ratio(d: Mapping[str, Any]) -> float:
    requests = d["requests"]
    done = requests["completed"] or 1
    return float(requests["errors"]) / float(done)


LOAD_QUANTITIES: dict[str, LoadQuantity] = {
    "latency_p50": LoadQuantity("ms", "lower", _latency_ms("p50_us")),
    "latency_p90": LoadQuantity("ms", "lower", _latency_ms("p90_us")),
    "latency_p99": LoadQuantity("ms", "lower", _latency_ms("p99_us")),
    "latency_p999": LoadQuantity("ms", "lower", _latency_ms("p99_9_us")),
    "latency_mean": LoadQuantity("ms", "lower", _latency_ms("mean_us")),
    "latency_max": LoadQuantity("ms", "lower", _latency_ms("max_us")),
    "service_time_p99": LoadQuantity("ms", "lower", _latency_ms("p99_us", "service_time")),
    "throughput": LoadQuantity("req/s", "higher", lambda d: float(d["achieved_rate_rps"])),
    "errors": LoadQuantity("requests", "lower", lambda d: float(d["requests"]["errors"])),
    "error_ratio": LoadQuantity("ratio", "lower", _error_ratio),
}


def _as_document(result: LoadResultLike) -> Mapping[str, Any]:
    document = result if isinstance(result, Mapping) else result.to_dict()
    if document.get("schema") != LOAD_RESULT_SCHEMA:
        raise ResultsError(
            f"load result has schema {document.get('schema')!r}, expected "
            f"{LOAD_RESULT_SCHEMA!r}; pass LoadResult objects or their to_dict()"
        )
    return document


def metric_from_load_result(
    quantity: str,
    results: LoadResultLike | Sequence[LoadResultLike],
    *,
    name: str | None = None,
) -> Metric:
    """One metric over one or more repetitions of a load run: samples per run, value = median.

    `quantity` is one of LOAD_QUANTITIES (e.g. `latency_p99` in ms, `throughput` in req/s).
    """
    spec = LOAD_QUANTITIES.get(quantity)
    if spec is None:
        raise ResultsError(
            f"unknown load quantity {quantity!r}; known: {', '.join(LOAD_QUANTITIES)}"
        )
    runs = [results] if isinstance(results, Mapping) or hasattr(results, "to_dict") else results
    samples = [spec.read(_as_document(r)) for r in runs]
    if not samples:
        raise ResultsError(f"metric {quantity!r}: no load results given")
    return Metric(
        name=name or quantity,
        unit=spec.unit,
        better=spec.better,
        value=statistics.median(samples),
        samples=samples,
    )


_HISTOGRAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def write_histogram(run_dir: str | os.PathLike[str], name: str, encoded: str) -> str:
    """Store one base64 HDR histogram as `histograms/<name>.hdr`; returns that relative path."""
    if not _HISTOGRAM_NAME.match(name):
        raise ResultsError(f"histogram name {name!r} must be letters, digits, '.', '_' or '-'")
    relative = f"histograms/{name}.hdr"
    target = Path(run_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(encoded.strip() + "\n")
    return relative


def scenario_from_load_results(
    name: str,
    results: Sequence[LoadResultLike],
    run_dir: str | os.PathLike[str],
    *,
    description: str = "",
    parameters: Mapping[str, Any] | None = None,
    quantities: Sequence[str] = ("throughput", "latency_p50", "latency_p99", "errors"),
) -> Scenario:
    """A scenario from repeated load runs: metrics, per-second series of the last run,
    the last run's latency histogram, and the generator-bound flag of any run."""
    documents = [_as_document(r) for r in results]
    if not documents:
        raise ResultsError(f"scenario {name!r}: no load results given")
    last = documents[-1]
    seconds = [float(s["second"]) for s in last.get("time_series", [])]
    notes = [reason for d in documents for reason in d.get("generator", {}).get("reasons", [])]
    histogram = write_histogram(run_dir, f"{name}-latency", last["histograms"]["latency"])
    return Scenario(
        name=name,
        description=description,
        parameters=dict(parameters or {}),
        generator_bound=any(d.get("generator", {}).get("generator_bound") for d in documents),
        notes=notes,
        metrics=[metric_from_load_result(q, documents) for q in quantities],
        series={
            "errors_over_time": Series(
                x=seconds,
                y=[float(s["errors"]) for s in last.get("time_series", [])],
                x_label="second of run",
                y_label="errors",
            ),
            "responses_over_time": Series(
                x=seconds,
                y=[float(s["responses"]) for s in last.get("time_series", [])],
                x_label="second of run",
                y_label="responses/s",
            ),
        },
        histograms={"latency": histogram},
    )
