"""Pure parts of the load engine: schedule, histograms, merging, failure classes, verdicts."""

from __future__ import annotations

import errno
import itertools
import json
import socket
import ssl

import pytest

from harness.load import LoadMode, LoadResult, LoadSpec, decode, merge, merge_reports
from harness.load.failure_class import (
    CONNECT,
    OTHER,
    RESET,
    TIMEOUT,
    TLS,
    classify_exception,
    status_class,
)
from harness.load.generator_check import judge_generator
from harness.load.latency_histogram import LatencySummary, encode, new_histogram, record_seconds
from harness.load.open_loop_schedule import WorkerSchedule
from harness.load.worker_messages import WorkerReport


def test_worker_schedules_interleave_into_an_even_arrival_stream() -> None:
    rate, workers, duration = 100.0, 3, 1.0
    times = sorted(
        WorkerSchedule(rate, workers, index, duration).intended_at(slot)
        for index in range(workers)
        for slot in range(WorkerSchedule(rate, workers, index, duration).total_slots)
    )
    assert len(times) == 100
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(times)}
    assert gaps == {0.01}
    assert times[0] == 0.0 and times[-1] < duration


def test_due_slots_grow_with_elapsed_time_and_stop_at_the_total() -> None:
    schedule = WorkerSchedule(rate=10.0, workers=2, worker_index=1, duration_s=1.0)
    assert schedule.total_slots == 5  # 0.1, 0.3, 0.5, 0.7, 0.9
    assert schedule.due_by(0.05) == 0
    assert schedule.due_by(0.1) == 1
    assert schedule.due_by(0.35) == 2
    assert schedule.due_by(10.0) == 5


def test_histogram_round_trip_and_merge_keep_every_value() -> None:
    first, second = new_histogram(), new_histogram()
    for micros in range(1, 1001):
        record_seconds(first, micros / 1e6)
    record_seconds(second, 0.25)
    record_seconds(second, 120.0)  # beyond 60 s: clamped, not lost
    merged = merge([encode(first), encode(second)])
    summary = LatencySummary.of(merged)
    assert summary.count == 1002
    assert summary.p50_us == pytest.approx(501, abs=1)
    assert summary.max_us >= 59_000_000
    assert decode(encode(merged)).get_total_count() == 1002


def _report(index: int, values_us: list[int], errors: dict[str, int]) -> WorkerReport:
    histogram = new_histogram()
    for value in values_us:
        record_seconds(histogram, value / 1e6)
    failed = sum(errors.values())
    return WorkerReport(
        worker_index=index,
        latency_hdr=encode(histogram),
        service_time_hdr=encode(histogram),
        send_lag_hdr=encode(new_histogram()),
        sent=len(values_us),
        completed=len(values_us),
        successes=len(values_us) - failed,
        errors_by_class=errors,
        per_second={"0": [len(values_us) - 1, failed], "1": [1, 0]},
        unsent=0,
        started_epoch=0.0,
        finished_epoch=1.0,
    )


def test_merge_reports_sums_counts_errors_and_seconds() -> None:
    spec = LoadSpec(url="http://127.0.0.1/", duration_s=2, connections=2, workers=2)
    reports = [
        _report(0, [100] * 30, {"http_503": 2}),
        _report(1, [5000] * 10, {"reset": 1, "http_503": 1}),
    ]
    result = merge_reports(spec, reports, [[10.0], [20.0]], 200)
    assert result.completed == 40 and result.latency.count == 40
    assert result.errors_by_class == {"http_503": 3, "reset": 1}
    assert result.errors == 4 and result.successes == 36
    assert [(c.second, c.responses, c.errors) for c in result.time_series] == [
        (0, 38, 4),
        (1, 2, 0),
    ]
    assert result.achieved_rate == 20.0
    assert result.latency.p50_us == pytest.approx(100, abs=1)
    assert result.latency.max_us == pytest.approx(5000, rel=0.001)
    as_json = result.to_dict()
    assert as_json["schema"] == "gateway-harness/load-result/v1"
    assert as_json["requests"]["errors"] == 4
    assert decode(as_json["histograms"]["latency"]).get_total_count() == 40
    assert LoadResult.from_dict(json.loads(json.dumps(as_json))) == result
    with pytest.raises(ValueError, match="schema"):
        LoadResult.from_dict({**as_json, "schema": "gateway-harness/load-result/v0"})


@pytest.mark.parametrize(
    ("exc", "connected", "expected"),
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), False, CONNECT),
        (socket.gaierror(-2, "Name or service not known"), False, CONNECT),
        (ConnectionResetError(errno.ECONNRESET, "reset"), True, RESET),
        (BrokenPipeError(errno.EPIPE, "pipe"), True, RESET),
        (TimeoutError("timed out"), True, TIMEOUT),
        (TimeoutError("timed out"), False, CONNECT),
        (ssl.SSLCertVerificationError("bad cert"), True, TLS),
        (OSError(errno.EHOSTUNREACH, "no route"), False, CONNECT),
        (ValueError("odd"), True, OTHER),
    ],
)
def test_exceptions_map_to_failure_classes(
    exc: BaseException, connected: bool, expected: str
) -> None:
    assert classify_exception(exc, connected=connected) == expected


def test_status_failures_name_the_code() -> None:
    assert status_class(503) == "http_503"


def test_generator_verdict_flags_cpu_and_rate_shortfall() -> None:
    calm = judge_generator([[40.0, 50.0], [30.0]], target_rate=1000, sent_rate=990, connections=8)
    assert not calm.bound and calm.reasons == ()
    assert calm.worker_cpu_mean_percent == (45.0, 30.0)
    hot = judge_generator([[95.0, 99.0], [20.0]], target_rate=None, sent_rate=5000, connections=8)
    assert hot.bound and "worker 0" in hot.reasons[0]
    slow = judge_generator([[10.0]], target_rate=1000, sent_rate=900, connections=8)
    assert slow.bound and "under 95%" in slow.reasons[0]
    starved = judge_generator(
        [[70.0, 72.0]],
        target_rate=None,
        sent_rate=5000,
        connections=8,
        worker_demand_samples=[[99.0, 97.0]],
    )
    assert starved.bound and "waited for a core 98%" in starved.reasons[0]
    assert starved.worker_cpu_demand_mean_percent == (98.0,)


def test_closed_spec_reports_no_target_rate() -> None:
    spec = LoadSpec(url="http://127.0.0.1/", duration_s=1, connections=1, mode=LoadMode.CLOSED)
    result = merge_reports(spec, [_report(0, [100], {})], [[1.0]], None)
    assert result.target_rate is None and not result.generator_bound
