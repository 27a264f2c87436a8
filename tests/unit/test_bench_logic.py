"""The benchmark layer's pure parts: profiles, metrics, scenario selection, result files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from harness.bench import Profile, ScenarioResult, available_scenarios, select
from harness.bench.runner import PERFORMANCE_SCHEMA, validate_overrides, write_results
from harness.cluster import ClusterError


def test_quick_profile_is_smaller_than_full() -> None:
    quick, full = Profile.named("quick"), Profile.named("full")
    assert quick.load_seconds < full.load_seconds
    assert max(quick.route_steps) < max(full.route_steps) == 1000
    assert full.route_steps == (10, 50, 100, 300, 500, 1000)


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ClusterError, match="quick or full"):
        Profile.named("nightly")


def test_metric_value_is_the_median_of_its_samples() -> None:
    r = ScenarioResult("s", "d")
    r.metric("rps", "req/s", [10, 30, 20], better="higher")
    assert r.metrics == [
        {
            "name": "rps",
            "unit": "req/s",
            "better": "higher",
            "value": 20.0,
            "samples": [10.0, 30.0, 20.0],
        }
    ]


def test_metric_without_samples_becomes_a_note() -> None:
    r = ScenarioResult("s", "d")
    r.metric("rps", "req/s", [])
    assert r.metrics == []
    assert r.notes == ["rps: no samples"]


def test_every_issue_scenario_is_installed_in_a_stable_order() -> None:
    assert list(available_scenarios()) == [
        "listener-throughput",
        "latency-curve",
        "route-scale",
        "reconcile-latency",
        "route-churn",
        "gateway-provisioning",
        "grpc-throughput",
        "tls-handshakes",
    ]


def test_unknown_scenario_names_the_known_ones() -> None:
    with pytest.raises(ClusterError) as e:
        select(["listener-throughput", "warp-speed"])
    assert "'warp-speed'" in str(e.value)
    assert "route-churn" in str(e.value)


def test_select_without_names_means_all() -> None:
    assert [s.name for s in select([])] == list(available_scenarios())


@pytest.mark.parametrize(("duration", "rate"), [(0, None), (-1, None), (None, 0), (None, -5.0)])
def test_zero_or_negative_duration_or_rate_is_refused(
    duration: float | None, rate: float | None
) -> None:
    with pytest.raises(ClusterError, match="positive"):
        validate_overrides(duration, rate)


def test_results_are_written_as_json_and_csv(tmp_path: Path) -> None:
    r = ScenarioResult("route-churn", "d")
    r.metric("non_2xx_total", "count", [0.0])
    r.metric("steady_rps", "req/s", [199, 201], better="higher")
    path = write_results(tmp_path, [r], {"gateway_class": "x"})
    doc = json.loads(path.read_text())
    assert doc["schema"] == PERFORMANCE_SCHEMA
    assert doc["scenarios"][0]["metrics"][1]["value"] == 200.0
    rows = list(csv.reader((tmp_path / "performance.csv").open()))
    assert rows[0][:3] == ["scenario", "metric", "unit"]
    assert rows[2][:2] == ["route-churn", "steady_rps"]
    assert rows[2][5] == "199 201"


def test_sampler_looks_processes_up_rarely_but_samples_them_each_time() -> None:
    import os

    from harness.bench.sampling import ResourceSampler

    lookups: list[int] = []

    def find() -> list[int]:
        lookups.append(1)
        return [os.getpid()]

    sampler = ResourceSampler(find, interval=0.5, refresh=60.0)
    for _ in range(4):
        sampler._sample()
    summary = sampler.summary("local")
    assert len(lookups) == 1  # the pid list is reused between refreshes
    assert summary.samples == 3  # the first sample only primes the CPU counter
    assert summary.rss_mib_max is not None and summary.rss_mib_max > 0
