"""Listener throughput and latency: the most requests per second per listener kind, and with
1..N listeners on the Gateway."""

from __future__ import annotations

from harness.bench import BenchContext, BenchScenario, ScenarioResult, sampler_for
from suites.performance.common import (
    BENCH_HOST,
    closed_loop,
    http_listener,
    https_listener,
    record_load,
    tls_secret,
)


def run(ctx: BenchContext) -> ScenarioResult:
    result = ScenarioResult(SCENARIO.name, SCENARIO.description)
    ns = ctx.new_namespace("listeners")
    ctx.deploy_echo(ns, replicas=2)
    ca_file = tls_secret(ctx, ns)
    ctx.apply(
        [
            ctx.gateway(
                ns, "gw", [http_listener("http", 80), https_listener("https", 443, "bench-cert")]
            ),
            ctx.route("echo", "gw", hostnames=[BENCH_HOST]),
        ],
        ns,
    )
    address = ctx.wait_gateway_address(ns, "gw")
    ctx.wait_route_accepted(ns, "echo")
    result.parameters.update(
        {"connections": 32, "seconds": ctx.load_seconds, "backend_replicas": 2}
    )
    with sampler_for(ctx.cluster, [ns]) as sampler:
        ctx.progress("  HTTP listener, closed loop")
        record_load(ctx, result, "http", closed_loop(ctx, f"http://{address}/"))
        ctx.progress("  HTTPS listener, closed loop")
        record_load(ctx, result, "https", closed_loop(ctx, f"https://{address}/", ca_file=ca_file))
    result.metrics += sampler.summary(ctx.cluster.provider).metrics()

    counts, rps = [], []
    for k in range(1, ctx.profile.max_listeners + 1):
        listeners = [http_listener("http", 80)] + [
            http_listener(f"http-{i}", 8080 + i) for i in range(1, k)
        ]
        ctx.apply([ctx.gateway(ns, "gw", listeners)], ns)
        ctx.wait_gateway_address(ns, "gw")
        ctx.progress(f"  {k} listener(s)")
        load = closed_loop(ctx, f"http://{address}/")
        record_load(ctx, result, f"listeners_{k}", load)
        counts.append(k)
        rps.append(load.achieved_rate)
    result.series["rps_by_listener_count"] = {
        "x": counts,
        "y": rps,
        "x_label": "listeners on the Gateway",
        "y_label": "req/s",
    }
    return result


SCENARIO = BenchScenario(
    "listener-throughput",
    "max req/s and latency percentiles per listener kind (HTTP, HTTPS) and for 1..N listeners",
    run,
    order=10,
)
