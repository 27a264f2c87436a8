"""Route scale: 10 .. 1000 HTTPRoutes on one Gateway, with traffic, CPU and memory at each step."""

from __future__ import annotations

import time

from harness.bench import BenchContext, BenchScenario, ScenarioResult, sampler_for
from suites.performance.common import closed_loop, http_listener, record_load


def route_host(i: int) -> str:
    return f"r{i}.scale.example"


def run(ctx: BenchContext) -> ScenarioResult:
    result = ScenarioResult(SCENARIO.name, SCENARIO.description)
    ns = ctx.new_namespace("scale")
    ctx.deploy_echo(ns, replicas=2)
    ctx.apply([ctx.gateway(ns, "gw", [http_listener("http", 80)])], ns)
    address = ctx.wait_gateway_address(ns, "gw")
    steps, rps, p99, rss, cpu, apply_s = [], [], [], [], [], []
    controller_rss: list[float | None] = []
    have = 0
    for target in ctx.profile.route_steps:
        t0 = time.monotonic()
        ctx.apply(
            [ctx.route(f"r{i}", "gw", hostnames=[route_host(i)]) for i in range(have, target)], ns
        )
        ctx.wait_route_accepted(ns, f"r{target - 1}")
        apply_s.append(time.monotonic() - t0)
        have = target
        ctx.progress(f"  {target} routes attached; load on one of them")
        with (
            sampler_for(ctx.cluster, [ns], "pods") as proxy_sampler,
            sampler_for(ctx.cluster, [ns], "controller") as controller_sampler,
        ):
            load = closed_loop(ctx, f"http://{address}/", host=route_host(target // 2))
        proxy = proxy_sampler.summary(ctx.cluster.provider)
        controller = controller_sampler.summary(ctx.cluster.provider)
        record_load(ctx, result, f"routes_{target}", load)
        result.metrics += proxy.metrics(f"routes_{target}_data_plane")
        result.metrics += controller.metrics(f"routes_{target}_controller")
        summary = proxy
        steps.append(target)
        rps.append(load.achieved_rate)
        p99.append(load.latency.p99_us / 1000.0)
        rss.append(summary.rss_mib_max)
        controller_rss.append(controller.rss_mib_max)
        cpu.append(summary.cpu_cores_mean)
        if summary.note:
            result.notes.append(f"{target} routes: {summary.note}")
    result.series["rps_by_routes"] = {
        "x": steps,
        "y": rps,
        "x_label": "HTTPRoutes",
        "y_label": "req/s",
    }
    result.series["p99_by_routes"] = {
        "x": steps,
        "y": p99,
        "x_label": "HTTPRoutes",
        "y_label": "p99 latency (ms)",
    }
    result.series["apply_seconds_by_routes"] = {
        "x": steps,
        "y": apply_s,
        "x_label": "HTTPRoutes",
        "y_label": "apply to last Accepted (s)",
    }
    if all(v is not None for v in rss):
        result.series["memory_by_routes"] = {
            "x": steps,
            "y": rss,
            "x_label": "HTTPRoutes",
            "y_label": "data-plane RSS (MiB)",
        }
    if all(v is not None for v in controller_rss):
        result.series["controller_memory_by_routes"] = {
            "x": steps,
            "y": controller_rss,
            "x_label": "HTTPRoutes",
            "y_label": "controller RSS (MiB)",
        }
        result.series["cpu_by_routes"] = {
            "x": steps,
            "y": cpu,
            "x_label": "HTTPRoutes",
            "y_label": "data-plane CPU (cores)",
        }
    return result


SCENARIO = BenchScenario(
    "route-scale",
    "throughput, latency, CPU and memory with 10..1000 HTTPRoutes on one Gateway",
    run,
    order=30,
)
