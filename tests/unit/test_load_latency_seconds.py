"""Latency percentiles per second of a load run, and the samples `gwh compare` judges them by."""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from hdrh.histogram import HdrHistogram

from harness.bench import BenchContext, ScenarioResult
from harness.bench.runner import write_results
from harness.cli import main
from harness.load import LoadResult, LoadSpec, SecondLatency, merge_reports
from harness.load.latency_histogram import (
    LatencySummary,
    SecondHistograms,
    encode,
    new_histogram,
    record_seconds,
)
from harness.load.worker_messages import WorkerReport
from suites.performance.common import record_load

# second -> latencies in seconds, one list per worker
WorkerSeconds = dict[int, list[float]]


def histogram_of(latencies_s: Sequence[float]) -> HdrHistogram:
    histogram = new_histogram()
    for latency in latencies_s:
        record_seconds(histogram, latency)
    return histogram


def worker_report(index: int, seconds: WorkerSeconds) -> WorkerReport:
    """What a worker reports after recording `seconds` the way WorkerRun._record does."""
    whole = new_histogram()
    by_second = SecondHistograms()
    for second, latencies in sorted(seconds.items()):
        for latency in latencies:
            record_seconds(whole, latency)
            by_second.record(second, latency)
    completed = sum(len(v) for v in seconds.values())
    return WorkerReport(
        worker_index=index,
        latency_hdr=encode(whole),
        service_time_hdr=encode(whole),
        send_lag_hdr=encode(new_histogram()),
        sent=completed,
        completed=completed,
        successes=completed,
        errors_by_class={},
        per_second={str(s): [len(v), 0] for s, v in sorted(seconds.items())},
        unsent=0,
        started_epoch=0.0,
        finished_epoch=float(len(seconds)),
        latency_per_second={str(s): e for s, e in by_second.encoded().items()},
    )


def synthetic_seconds(
    rng: random.Random, seconds: int, per_second: int, median_s: float
) -> WorkerSeconds:
    return {
        s: [rng.lognormvariate(0.0, 0.4) * median_s for _ in range(per_second)]
        for s in range(seconds)
    }


def synthetic_load(
    seed: int, *, seconds: int = 12, per_second: int = 150, median_s: float = 0.001
) -> LoadResult:
    """A two-worker run whose every second holds `2 * per_second` responses."""
    rng = random.Random(seed)
    reports = [
        worker_report(index, synthetic_seconds(rng, seconds, per_second, median_s))
        for index in range(2)
    ]
    spec = LoadSpec(url="http://127.0.0.1/", duration_s=seconds, connections=2, workers=2)
    return merge_reports(spec, reports, [[10.0], [10.0]], 200)


def test_second_histograms_keep_every_value_when_encoding_and_reopening() -> None:
    by_second = SecondHistograms()
    by_second.record(0, 0.001)
    by_second.record(1, 0.002)
    by_second.record(5, 0.003)  # seconds 0 and 1 are encoded now
    by_second.record(0, 0.004)  # a late response for an encoded second reopens it
    by_second.record(5, 0.005)
    assert [(s.second, s.count) for s in by_second.summaries()] == [(0, 2), (1, 1), (5, 2)]
    first = by_second.summaries()[0]
    assert first == SecondLatency.of(0, histogram_of([0.001, 0.004]))
    assert sorted(by_second.encoded()) == [0, 1, 5]


def test_seconds_merge_across_workers() -> None:
    rng = random.Random(7)
    fast = synthetic_seconds(rng, 4, 200, 0.001)
    slow = synthetic_seconds(rng, 4, 50, 0.010)
    del slow[0]  # the slow worker answered nothing in the first second
    spec = LoadSpec(url="http://127.0.0.1/", duration_s=4, connections=2, workers=2)
    result = merge_reports(spec, [worker_report(0, fast), worker_report(1, slow)], [[], []], 200)

    assert [s.second for s in result.latency_per_second] == [0, 1, 2, 3]
    assert sum(s.count for s in result.latency_per_second) == result.latency.count == 950
    assert [s.count for s in result.latency_per_second] == [c.responses for c in result.time_series]
    for merged in result.latency_per_second:
        both = fast[merged.second] + slow.get(merged.second, [])
        expected = LatencySummary.of(histogram_of(both))
        assert (merged.count, merged.p50_us, merged.p90_us, merged.p99_us) == (
            expected.count,
            expected.p50_us,
            expected.p90_us,
            expected.p99_us,
        )
    # the slow worker's tenth of the responses is what the p99 of seconds 1..3 sees
    assert result.latency_per_second[0].p99_us < 5_000 < result.latency_per_second[1].p99_us


def test_a_worker_without_per_second_histograms_leaves_no_partial_seconds() -> None:
    rng = random.Random(3)
    current = worker_report(0, synthetic_seconds(rng, 3, 100, 0.001))
    older = WorkerReport.from_dict(
        {
            k: v
            for k, v in worker_report(1, synthetic_seconds(rng, 3, 100, 0.001)).to_dict().items()
            if k != "latency_per_second"
        }
    )
    spec = LoadSpec(url="http://127.0.0.1/", duration_s=3, connections=2, workers=2)
    result = merge_reports(spec, [current, older], [[], []], 200)
    assert result.latency.count == 600
    assert result.latency_per_second == ()


def test_per_second_latency_round_trips_and_older_results_still_load() -> None:
    result = synthetic_load(seed=1, seconds=4)
    assert len(result.latency_per_second) == 4
    document = json.loads(json.dumps(result.to_dict()))
    assert document["schema"] == "gateway-harness/load-result/v1"
    assert document["latency_per_second"][1]["count"] == 300
    assert LoadResult.from_dict(document) == result

    del document["latency_per_second"]  # written before per-second latency existed
    older = LoadResult.from_dict(document)
    assert older.latency_per_second == () and older.latency == result.latency


def record(load: LoadResult, tmp_path: Path, name: str = "listener-throughput") -> ScenarioResult:
    result = ScenarioResult(name, "synthetic")
    context = cast(BenchContext, SimpleNamespace(output_dir=tmp_path))
    record_load(context, result, "http", load)
    return result


def metric(result: ScenarioResult, name: str) -> dict[str, object]:
    return next(m for m in result.metrics if m["name"] == name)


def test_record_load_gives_per_second_samples_and_the_whole_run_value(tmp_path: Path) -> None:
    load = synthetic_load(seed=2, seconds=12)
    result = record(load, tmp_path)
    inner = load.latency_per_second[1:-1]
    for name, whole_us in (
        ("p50", load.latency.p50_us),
        ("p90", load.latency.p90_us),
        ("p99", load.latency.p99_us),
    ):
        recorded = metric(result, f"http_latency_{name}")
        assert recorded["samples"] == [s.percentile_us(name) / 1000.0 for s in inner]
        assert recorded["value"] == whole_us / 1000.0
    p99_samples = cast(list[float], metric(result, "http_latency_p99")["samples"])
    assert len(p99_samples) == 10
    # the whole-run p99 is not the median of the seconds' p99s (it is what the report showed)
    assert load.latency.p99_us / 1000.0 != statistics.median(p99_samples)
    assert metric(result, "http_latency_p999")["samples"] == [load.latency.p999_us / 1000.0]


def test_seconds_with_too_few_responses_for_a_percentile_are_left_out(tmp_path: Path) -> None:
    # 2 x 40 responses a second: enough for p50 and p90, too few for p99 (needs 100)
    load = synthetic_load(seed=4, seconds=8, per_second=40)
    result = record(load, tmp_path)
    assert len(cast(list[float], metric(result, "http_latency_p50")["samples"])) == 6
    assert len(cast(list[float], metric(result, "http_latency_p90")["samples"])) == 6
    assert metric(result, "http_latency_p99")["samples"] == [load.latency.p99_us / 1000.0]


def test_a_short_run_falls_back_to_one_whole_run_sample(tmp_path: Path) -> None:
    load = synthetic_load(seed=5, seconds=4)  # two inner seconds: fewer than compare judges
    result = record(load, tmp_path)
    for name, whole_us in (("p50", load.latency.p50_us), ("p99", load.latency.p99_us)):
        recorded = metric(result, f"http_latency_{name}")
        assert recorded["samples"] == [whole_us / 1000.0]
        assert recorded["value"] == whole_us / 1000.0


def write_bench_run(tmp_path: Path, run_id: str, load: LoadResult) -> Path:
    run_dir = tmp_path / run_id
    write_results(run_dir, [record(load, run_dir)], {"gateway_class": "gateway-harness"})
    return run_dir


def test_compare_flags_a_per_second_latency_regression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base_load = synthetic_load(seed=10, seconds=12)
    slow_load = synthetic_load(seed=12, seconds=12, median_s=0.0013)
    base = write_bench_run(tmp_path, "base", base_load)
    same = write_bench_run(tmp_path, "same", synthetic_load(seed=11, seconds=12))
    slow = write_bench_run(tmp_path, "slow", slow_load)

    assert main(["-q", "compare", str(same), "--baseline", str(base), "--fail-on-regression"]) == 0
    capsys.readouterr()
    args = ["-q", "--json", "compare", str(slow), "--baseline", str(base), "--fail-on-regression"]
    assert main(args) == 3
    report = json.loads(capsys.readouterr().out)
    flagged = {r.split(":")[1].strip().split()[0] for r in report["regressions"]}
    assert flagged == {
        "listener-throughput/http_latency_p50",
        "listener-throughput/http_latency_p90",
        "listener-throughput/http_latency_p99",
    }
    p99 = next(m for m in report["metrics"] if m["metric"] == "http_latency_p99")
    assert p99["values"] == [base_load.latency.p99_us / 1000, slow_load.latency.p99_us / 1000]
    p999 = next(m for m in report["metrics"] if m["metric"] == "http_latency_p999")
    assert p999["verdicts"][0]["status"] == "not judged"


def test_compare_does_not_judge_latency_of_runs_too_short_for_seconds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base_load = synthetic_load(seed=20, seconds=4)
    slow_load = synthetic_load(seed=21, seconds=4, median_s=0.002)
    base = write_bench_run(tmp_path, "base", base_load)
    slow = write_bench_run(tmp_path, "slow", slow_load)
    args = ["-q", "--json", "compare", str(slow), "--baseline", str(base), "--fail-on-regression"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    p99 = next(m for m in report["metrics"] if m["metric"] == "http_latency_p99")
    assert p99["verdicts"][0]["status"] == "not judged"
    assert "needs 3 samples per run, has 1 and 1" in p99["verdicts"][0]["reason"]
    assert p99["values"] == [base_load.latency.p99_us / 1000, slow_load.latency.p99_us / 1000]
