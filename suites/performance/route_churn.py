"""Route churn under load: steady paced traffic on one route while other routes are created,
changed and deleted at a set rate; every non-2xx response is counted and classified."""

from __future__ import annotations

import contextlib
import threading
import time

from kubernetes import client

from harness.bench import BenchContext, BenchScenario, ScenarioResult
from suites.performance.common import BENCH_HOST, http_listener, open_loop, record_load

CHURN_PER_SECOND = 5.0
STEADY_RATE = 200.0


def run(ctx: BenchContext) -> ScenarioResult:
    result = ScenarioResult(SCENARIO.name, SCENARIO.description)
    ns = ctx.new_namespace("churn")
    ctx.deploy_echo(ns, replicas=2)
    ctx.apply(
        [
            ctx.gateway(ns, "gw", [http_listener("http", 80)]),
            ctx.route("steady", "gw", hostnames=[BENCH_HOST]),
        ],
        ns,
    )
    address = ctx.wait_gateway_address(ns, "gw")
    ctx.wait_route_accepted(ns, "steady")
    rate = ctx.rate_override or STEADY_RATE
    seconds = ctx.duration_override or ctx.profile.churn_seconds
    stop = threading.Event()
    changes = [0]
    custom = client.CustomObjectsApi(ctx.api)

    def churn() -> None:
        i = 0
        while not stop.is_set():
            name = f"churn-{i % 20}"
            path = f"/churn/{i}"
            if i % 3 == 2:
                with contextlib.suppress(client.exceptions.ApiException):
                    custom.delete_namespaced_custom_object(
                        "gateway.networking.k8s.io", "v1", ns, "httproutes", name
                    )
            else:
                ctx.apply([ctx.route(name, "gw", path=path, hostnames=[BENCH_HOST])], ns)
            changes[0] += 1
            i += 1
            stop.wait(1.0 / CHURN_PER_SECOND)

    churner = threading.Thread(target=churn, daemon=True)
    ctx.progress(
        f"  {rate:.0f} req/s for {seconds:.0f}s while changing {CHURN_PER_SECOND:.0f} routes/s"
    )
    churner.start()
    t0 = time.monotonic()
    try:
        load = open_loop(ctx, f"http://{address}/", rate, seconds=seconds)
    finally:
        stop.set()
        churner.join(timeout=10)
    record_load(ctx, result, "steady", load)
    non_2xx = sum(load.errors_by_class.values())
    result.metric("non_2xx_total", "count", [float(non_2xx)])
    result.parameters.update(
        {
            "rate": rate,
            "seconds": round(time.monotonic() - t0, 1),
            "route_changes": changes[0],
            "errors_by_class": dict(load.errors_by_class),
        }
    )
    result.series["errors_over_time"] = {
        "x": [s.second for s in load.time_series],
        "y": [s.errors for s in load.time_series],
        "x_label": "second of the run",
        "y_label": "non-2xx responses",
    }
    return result


SCENARIO = BenchScenario(
    "route-churn",
    "non-2xx responses of steady traffic while routes are created, changed and deleted",
    run,
    order=50,
)
