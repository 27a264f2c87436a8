"""Gateway provisioning: create -> Programmed (watch) -> first 200 through its address."""

from __future__ import annotations

import time

from kubernetes import client

from harness.bench import BenchContext, BenchScenario, ScenarioResult, wait_for_status
from suites.performance.common import BENCH_HOST, http_listener


def run(ctx: BenchContext) -> ScenarioResult:
    result = ScenarioResult(SCENARIO.name, SCENARIO.description)
    ns = ctx.new_namespace("provision")
    ctx.deploy_echo(ns)
    custom = client.CustomObjectsApi(ctx.api)
    to_programmed, programmed_to_200, to_200 = [], [], []
    for j in range(ctx.profile.provisioning_samples):
        gw = f"gw-{j}"
        ctx.progress(f"  Gateway {j + 1}/{ctx.profile.provisioning_samples}")
        t0 = time.monotonic()
        ctx.apply(
            [
                ctx.gateway(ns, gw, [http_listener("http", 80)]),
                ctx.route(f"route-{j}", gw, hostnames=[BENCH_HOST]),
            ],
            ns,
        )
        address = ctx.wait_gateway_address(ns, gw)
        t_prog = time.monotonic()
        t200 = wait_for_status(address, 80, "/", 200, host_header=BENCH_HOST, timeout=120)
        to_programmed.append(t_prog - t0)
        programmed_to_200.append(t200 - t_prog)
        to_200.append(t200 - t0)
        custom.delete_namespaced_custom_object(
            "gateway.networking.k8s.io", "v1", ns, "gateways", gw
        )
    result.metric("create_to_programmed", "s", to_programmed)
    result.metric("programmed_to_first_200", "s", programmed_to_200)
    result.metric("create_to_first_200", "s", to_200)
    return result


SCENARIO = BenchScenario(
    "gateway-provisioning",
    "time from creating a Gateway to Programmed and to its first routed 200",
    run,
    order=60,
)
