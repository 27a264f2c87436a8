"""TLS handshake rate: new connections per second on an HTTPS listener (terminated by the
Gateway) and on a TLS Passthrough listener (the backend terminates)."""

from __future__ import annotations

from harness.bench import BenchContext, BenchScenario, ScenarioResult
from harness.bench.grpc_load import run_threads, tls_handshake
from harness.load import LoadMode, LoadSpec, TlsSettings, run_load
from harness.results import write_histogram
from suites.performance.common import (
    BENCH_HOST,
    https_listener,
    record_percentiles,
    tls_secret,
    wait_listening,
)

CLIENT_THREADS = 8


def run(ctx: BenchContext) -> ScenarioResult:
    result = ScenarioResult(SCENARIO.name, SCENARIO.description)
    ns = ctx.new_namespace("tls")
    ca_file = tls_secret(ctx, ns)
    ctx.deploy_echo(ns, replicas=1)
    ctx.deploy_echo(ns, name="tls-echo", replicas=1, tls_secret="bench-cert")
    passthrough = {
        "name": "tls",
        "port": 8443,
        "protocol": "TLS",
        "hostname": BENCH_HOST,
        "tls": {"mode": "Passthrough"},
    }
    tls_route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "TLSRoute",
        "metadata": {"name": "tls-echo"},
        "spec": {
            "parentRefs": [{"name": "gw", "sectionName": "tls"}],
            "hostnames": [BENCH_HOST],
            "rules": [{"backendRefs": [{"name": "tls-echo", "port": 443}]}],
        },
    }
    ctx.apply(
        [
            ctx.gateway(ns, "gw", [https_listener("https", 443, "bench-cert"), passthrough]),
            ctx.route("echo", "gw", hostnames=[BENCH_HOST], section="https"),
            tls_route,
        ],
        ns,
    )
    address = ctx.wait_gateway_address(ns, "gw")
    ctx.wait_route_accepted(ns, "echo")
    ctx.wait_route_accepted(ns, "tls-echo", kind="TLSRoute")

    wait_listening(address, 443)
    wait_listening(address, 8443)
    ctx.progress("  HTTPS listener: one request per new TLS connection")
    https = run_load(
        LoadSpec(
            url=f"https://{address}/",
            duration_s=ctx.load_seconds,
            mode=LoadMode.CLOSED,
            connections=16,
            keepalive=False,
            host_header=BENCH_HOST,
            tls=TlsSettings(ca_file=ca_file, server_name=BENCH_HOST),
            expect_status=frozenset({200}),
        )
    )
    counts = [float(s.responses) for s in https.time_series[1:-1] if s.responses]
    result.metric(
        "https_handshakes_per_s", "conn/s", counts or [https.achieved_rate], better="higher"
    )
    record_percentiles(
        result,
        "https_connection_latency",
        {"p99": https.latency.p99_us},
        https.latency_per_second,
    )
    result.metric("https_errors", "count", [float(https.errors)])
    if https.generator_bound:
        result.generator_bound = True
        result.notes.append("https: " + "; ".join(https.generator.reasons))

    ctx.progress(f"  TLS Passthrough listener: {CLIENT_THREADS} threads of bare handshakes")
    run_threads(tls_handshake(address, 8443, BENCH_HOST, str(ca_file)), 1, 1.0)  # warm-up
    passthrough_load = run_threads(
        tls_handshake(address, 8443, BENCH_HOST, str(ca_file)), CLIENT_THREADS, ctx.load_seconds
    )
    inner = [float(c) for c in passthrough_load.per_second[1:-1] if c]
    result.metric(
        "passthrough_handshakes_per_s", "conn/s", inner or [passthrough_load.rate], better="higher"
    )
    record_percentiles(
        result,
        "passthrough_handshake",
        {"p99": passthrough_load.p99_us},
        passthrough_load.latency_per_second,
    )
    result.metric("passthrough_errors", "count", [float(passthrough_load.errors)])
    result.histograms["passthrough"] = write_histogram(
        ctx.output_dir, f"{SCENARIO.name}-passthrough", passthrough_load.histogram_b64
    )
    if passthrough_load.generator_bound:
        result.generator_bound = True
        result.notes.append(
            f"passthrough: the client used {passthrough_load.client_cpu_cores:.2f}"
            " cores: the load generator was the limit"
        )
    return result


SCENARIO = BenchScenario(
    "tls-handshakes",
    "new TLS connections per second on an HTTPS listener and a TLS Passthrough listener",
    run,
    order=80,
)
