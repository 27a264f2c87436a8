"""The latency-throughput curve: latency at fixed fractions of the measured maximum rate,
paced open loop so that latency counts from the intended send time."""

from __future__ import annotations

from harness.bench import BenchContext, BenchScenario, ScenarioResult
from suites.performance.common import (
    BENCH_HOST,
    closed_loop,
    http_listener,
    open_loop,
    record_load,
)


def run(ctx: BenchContext) -> ScenarioResult:
    result = ScenarioResult(SCENARIO.name, SCENARIO.description)
    ns = ctx.new_namespace("curve")
    ctx.deploy_echo(ns, replicas=2)
    ctx.apply(
        [
            ctx.gateway(ns, "gw", [http_listener("http", 80)]),
            ctx.route("echo", "gw", hostnames=[BENCH_HOST]),
        ],
        ns,
    )
    address = ctx.wait_gateway_address(ns, "gw")
    ctx.wait_route_accepted(ns, "echo")
    url = f"http://{address}/"
    ctx.progress("  finding the maximum rate (closed loop)")
    peak = closed_loop(ctx, url)
    record_load(ctx, result, "max", peak)
    maximum = ctx.rate_override or peak.achieved_rate
    result.parameters["max_rps"] = round(maximum, 1)
    xs, p50s, p99s = [], [], []
    for fraction in ctx.profile.curve_fractions:
        rate = max(1.0, maximum * fraction)
        ctx.progress(f"  {fraction:.0%} of max: {rate:.0f} req/s open loop")
        load = open_loop(ctx, url, rate)
        tag = f"at_{round(fraction * 100)}pct"
        record_load(ctx, result, tag, load)
        xs.append(load.achieved_rate)
        p50s.append(load.latency.p50_us / 1000.0)
        p99s.append(load.latency.p99_us / 1000.0)
    result.series["latency_throughput_p50"] = {
        "x": xs,
        "y": p50s,
        "x_label": "achieved req/s",
        "y_label": "p50 latency (ms)",
    }
    result.series["latency_throughput_p99"] = {
        "x": xs,
        "y": p99s,
        "x_label": "achieved req/s",
        "y_label": "p99 latency (ms)",
    }
    return result


SCENARIO = BenchScenario(
    "latency-curve",
    "latency percentiles at fixed fractions of the maximum rate (open loop, no coordinated "
    "omission)",
    run,
    order=20,
)
