"""Reconcile latency: apply -> Accepted seen by a watch -> first routed 200 (probed every 5 ms),
each phase on its own, at several numbers of routes already attached; also delete -> 404."""

from __future__ import annotations

import threading
import time

from kubernetes import client

from harness.bench import BenchContext, BenchScenario, ScenarioResult, wait_for_status
from harness.bench.context import route_accepted
from harness.kube import wait_for
from suites.performance.common import http_listener

PROBE_INTERVAL_S = 0.005


def _cdf(samples: list[float]) -> dict[str, object]:
    xs = sorted(samples)
    return {
        "x": xs,
        "y": [(i + 1) / len(xs) for i in range(len(xs))],
        "x_label": "ms",
        "y_label": "fraction of samples",
    }


def _watch_accepted(ctx: BenchContext, ns: str, route: str, sink: list[float]) -> None:
    wait_for(ctx.api, "gateway.networking.k8s.io/v1/HTTPRoute", ns, route, route_accepted, 60)
    sink.append(time.monotonic())


def run(ctx: BenchContext) -> ScenarioResult:
    result = ScenarioResult(SCENARIO.name, SCENARIO.description)
    ns = ctx.new_namespace("reconcile")
    ctx.deploy_echo(ns)
    ctx.apply([ctx.gateway(ns, "gw", [http_listener("http", 80)])], ns)
    address = ctx.wait_gateway_address(ns, "gw")
    custom = client.CustomObjectsApi(ctx.api)
    backgrounds = sorted(set(ctx.profile.reconcile_backgrounds))
    have = 0
    result.parameters.update(
        {
            "samples_per_step": ctx.profile.reconcile_samples,
            "probe_interval_ms": PROBE_INTERVAL_S * 1000,
            "background_routes": backgrounds,
        }
    )
    for background in backgrounds:
        ctx.apply(
            [
                ctx.route(f"bg{i}", "gw", hostnames=[f"bg{i}.reconcile.example"])
                for i in range(have, background)
            ],
            ns,
        )
        if background:
            ctx.wait_route_accepted(ns, f"bg{background - 1}")
        have = background
        to_accepted, accepted_to_200, to_200, to_404 = [], [], [], []
        ctx.progress(f"  {ctx.profile.reconcile_samples} samples with {background} routes")
        for j in range(ctx.profile.reconcile_samples):
            name, host = f"probe-{background}-{j}", f"probe-{background}-{j}.reconcile.example"
            accepted_at: list[float] = []

            watcher = threading.Thread(
                target=_watch_accepted, args=(ctx, ns, name, accepted_at), daemon=True
            )
            watcher.start()
            t0 = time.monotonic()
            ctx.apply([ctx.route(name, "gw", hostnames=[host])], ns)
            t200 = wait_for_status(
                address, 80, "/", 200, host_header=host, interval=PROBE_INTERVAL_S
            )
            watcher.join(timeout=60)
            if accepted_at:
                to_accepted.append((accepted_at[0] - t0) * 1000)
                accepted_to_200.append((t200 - accepted_at[0]) * 1000)
            to_200.append((t200 - t0) * 1000)
            t1 = time.monotonic()
            custom.delete_namespaced_custom_object(
                "gateway.networking.k8s.io", "v1", ns, "httproutes", name
            )
            t404 = wait_for_status(
                address, 80, "/", 404, host_header=host, interval=PROBE_INTERVAL_S
            )
            to_404.append((t404 - t1) * 1000)
        tag = f"routes_{background}"
        result.metric(f"{tag}_apply_to_accepted", "ms", to_accepted)
        result.metric(f"{tag}_accepted_to_first_200", "ms", accepted_to_200)
        result.metric(f"{tag}_apply_to_first_200", "ms", to_200)
        result.metric(f"{tag}_delete_to_404", "ms", to_404)
        result.series[f"cdf_apply_to_first_200_{tag}"] = _cdf(to_200)
        if to_accepted:
            result.series[f"cdf_apply_to_accepted_{tag}"] = _cdf(to_accepted)
    return result


SCENARIO = BenchScenario(
    "reconcile-latency",
    "apply -> Accepted -> first 200, and delete -> 404, with routes already attached",
    run,
    order=40,
)
