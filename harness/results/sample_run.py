"""A synthetic, complete run folder: to try the report writers and to test them."""

from __future__ import annotations

import os
import random
from pathlib import Path

from harness.load.latency_histogram import encode, new_histogram
from harness.results.adapters import write_histogram
from harness.results.model import (
    ClusterInfo,
    ConformanceSection,
    CoreLevel,
    Environment,
    ExtendedLevel,
    Implementation,
    Metric,
    PerformanceSection,
    ProfileResult,
    RunResults,
    Scenario,
    Series,
    TestOutcome,
)


def _samples(rng: random.Random, centre: float, noise: float, count: int) -> list[float]:
    return [round(rng.gauss(centre, centre * noise), 4) for _ in range(count)]


def _metric(
    rng: random.Random, name: str, unit: str, better: str, centre: float, noise: float
) -> Metric:
    samples = _samples(rng, centre, noise, 8)
    return Metric(name, unit, better, sorted(samples)[len(samples) // 2], samples)


def sample_conformance() -> ConformanceSection:
    tests = [
        TestOutcome("HTTPRouteSimpleSameNamespace", "passed", 1.2, "", ["Gateway", "HTTPRoute"]),
        TestOutcome(
            "HTTPRouteHeaderMatching",
            "failed",
            30.5,
            "expected backend infra-backend-v2, got infra-backend-v1 | status 200",
            ["Gateway", "HTTPRoute"],
        ),
        TestOutcome("HTTPRouteQueryParamMatching", "flaky", 4.0, "passed on retry", ["HTTPRoute"]),
        TestOutcome("GatewayStaticAddresses", "skipped", 0.0, "not in profile", ["Gateway"]),
        TestOutcome(
            "HTTPRouteRequestMirror", "unsupported", 0.0, "feature not supported", ["HTTPRoute"]
        ),
    ]
    profiles = [
        ProfileResult(
            "GATEWAY-HTTP",
            CoreLevel("failure", 1, 2, 1, ["HTTPRouteHeaderMatching"], ["GatewayStaticAddresses"]),
            ExtendedLevel(
                "success", 3, 0, 0, ["HTTPRouteQueryParamMatching"], ["HTTPRouteRequestMirror"]
            ),
        ),
        ProfileResult("GATEWAY-GRPC", CoreLevel("success", 4), ExtendedLevel("none")),
    ]
    return ConformanceSection(profiles=profiles, tests=tests)


def sample_performance(
    run_dir: Path, rng: random.Random, latency_scale: float, noise: float
) -> PerformanceSection:
    histogram = new_histogram()
    for _ in range(5000):
        histogram.record_value(max(1, int(rng.lognormvariate(7.0, 0.5) * latency_scale)))
    reconcile = new_histogram()
    for _ in range(200):
        reconcile.record_value(max(1, int(rng.lognormvariate(11.0, 0.4))))
    rates = [500.0, 1000.0, 2000.0, 3000.0, 4000.0]
    routes = [10.0, 50.0, 100.0, 300.0, 500.0, 1000.0]
    throughput = Scenario(
        name="listener-throughput",
        description="One listener, one route, open-loop load at rising rates.",
        parameters={"connections": 64, "duration_s": 30, "workers": 2},
        metrics=[
            _metric(rng, "throughput", "req/s", "higher", 3900.0, noise),
            _metric(rng, "latency_p50", "ms", "lower", 1.1 * latency_scale, noise),
            _metric(rng, "latency_p99", "ms", "lower", 4.0 * latency_scale, noise),
        ],
        series={
            "latency_vs_throughput.p50": Series(
                rates, [0.9, 1.0, 1.1, 1.6, 3.0], "throughput (req/s)", "latency (ms)"
            ),
            "latency_vs_throughput.p99": Series(
                rates, [2.0, 2.4, 3.1, 6.0, 15.0], "throughput (req/s)", "latency (ms)"
            ),
        },
        histograms={
            "latency": write_histogram(run_dir, "listener-throughput-latency", encode(histogram))
        },
    )
    scale = Scenario(
        name="route-scale",
        description="10 to 1000 HTTPRoutes on one Gateway.",
        generator_bound=True,
        notes=["worker 0 averaged 95% of a core (>= 90%): add workers or cores"],
        metrics=[_metric(rng, "memory_at_1000_routes", "MiB", "lower", 180.0, noise)],
        series={
            "route_scale.throughput": Series(
                routes, [4000, 3990, 3950, 3800, 3500, 2900], "routes", "req/s"
            ),
            "route_scale.p99_latency": Series(routes, [2, 2.1, 2.3, 3, 5, 9], "routes", "ms"),
            "route_scale.memory": Series(routes, [60, 70, 80, 110, 140, 180], "routes", "MiB"),
        },
    )
    reconcile_scenario = Scenario(
        name="reconcile-latency",
        description="Apply, Accepted status, first routed request.",
        metrics=[_metric(rng, "reconcile_latency", "ms", "lower", 80.0, 0.2)],
        histograms={
            "reconcile_first_request": write_histogram(run_dir, "reconcile", encode(reconcile))
        },
    )
    churn = Scenario(
        name="route-churn",
        description="Route edits every 200 ms under steady load; every non-2xx counted.",
        metrics=[Metric("errors", "requests", "lower", 3.0, [3.0, 0.0, 1.0])],
        series={
            "errors_over_time": Series(
                [float(s) for s in range(20)],
                [0.0] * 7 + [2.0, 1.0] + [0.0] * 11,
                "second of run",
                "errors",
            )
        },
    )
    return PerformanceSection([throughput, scale, reconcile_scenario, churn])


def write_sample_run(
    root: str | os.PathLike[str],
    run_id: str = "20261126T000000Z-sample",
    *,
    seed: int = 1,
    latency_scale: float = 1.0,
    noise: float = 0.03,
    started: str = "2026-11-26T00:00:00Z",
) -> Path:
    """Write a complete synthetic run folder `root/run_id` and return its path."""
    run_dir = Path(root) / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    results = RunResults(
        run_id=run_id,
        started=started,
        finished=started,
        command=["gwh", "run", "--provider", "local"],
        implementation=Implementation(
            "gateway-harness",
            "example.org",
            "reference",
            "https://example.org",
            "v0.1.0",
            ["@maintainers"],
        ),
        cluster=ClusterInfo("local", "default", "v1.31.0", "v1.2.0", "standard"),
        environment=Environment("ci-runner", 2, 8 * 2**30, "3.11.2", "0.1.0"),
        conformance=sample_conformance(),
        performance=sample_performance(run_dir, rng, latency_scale, noise),
    )
    results.save(run_dir)
    return run_dir
