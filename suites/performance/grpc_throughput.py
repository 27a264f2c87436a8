"""gRPC unary throughput and latency through a GRPCRoute (h2c to the echo server's gRPC mode)."""

from __future__ import annotations

from harness.bench import BenchContext, BenchScenario, ScenarioResult
from harness.bench.grpc_load import grpc_echo_call, run_threads
from harness.results import write_histogram
from suites.performance.common import BENCH_HOST, http_listener, record_percentiles

CLIENT_THREADS = 16


def run(ctx: BenchContext) -> ScenarioResult:
    result = ScenarioResult(SCENARIO.name, SCENARIO.description)
    ns = ctx.new_namespace("grpc")
    ctx.deploy_echo(
        ns,
        name="grpc-echo",
        replicas=2,
        env={"GRPC_ECHO_SERVER": "1"},
        app_protocol="kubernetes.io/h2c",
    )
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "GRPCRoute",
        "metadata": {"name": "echo"},
        "spec": {
            "parentRefs": [{"name": "gw"}],
            "hostnames": [BENCH_HOST],
            "rules": [{"backendRefs": [{"name": "grpc-echo", "port": 8080}]}],
        },
    }
    ctx.apply([ctx.gateway(ns, "gw", [http_listener("http", 80)]), route], ns)
    address = ctx.wait_gateway_address(ns, "gw")
    ctx.wait_route_accepted(ns, "echo", kind="GRPCRoute")
    target = f"{address}:80"
    run_threads(grpc_echo_call(target, BENCH_HOST), 1, 1.0)  # warm the route and channels
    ctx.progress(f"  {CLIENT_THREADS} client threads, closed loop, {ctx.load_seconds:.0f}s")
    load = run_threads(grpc_echo_call(target, BENCH_HOST), CLIENT_THREADS, ctx.load_seconds)
    inner = [float(c) for c in load.per_second[1:-1] if c] or [load.rate]
    result.metric("grpc_rps", "req/s", inner, better="higher")
    record_percentiles(
        result,
        "grpc_latency",
        {"p50": load.p50_us, "p90": load.p90_us, "p99": load.p99_us, "p999": load.p999_us},
        load.latency_per_second,
    )
    result.metric("grpc_errors", "count", [float(load.errors)])
    result.histograms["grpc"] = write_histogram(
        ctx.output_dir, f"{SCENARIO.name}-grpc", load.histogram_b64
    )
    result.parameters.update(
        {
            "client_threads": CLIENT_THREADS,
            "backend_replicas": 2,
            "client_cpu_cores": round(load.client_cpu_cores, 2),
        }
    )
    if load.generator_bound:
        result.generator_bound = True
        result.notes.append(
            f"the gRPC client used {load.client_cpu_cores:.2f} cores: "
            "the load generator was the limit"
        )
    return result


SCENARIO = BenchScenario(
    "grpc-throughput",
    "gRPC unary requests per second and latency through a GRPCRoute",
    run,
    order=70,
)
