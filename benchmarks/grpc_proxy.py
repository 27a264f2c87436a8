"""Unary gRPC calls/s through the reference proxy (one worker) beside calls straight to the backend.

    python benchmarks/grpc_proxy.py [--duration 10] [--clients 2] [--threads 8]

Setup, all on 127.0.0.1: the project's gRPC echo server as the backend, the reference proxy with
ONE worker (pinned to core 0) routing a GRPCRoute to it. Load: closed-loop grpcio clients
(`--clients` processes of `--threads` threads, one channel per thread). The same load runs
straight against the backend and through the proxy, interleaved for `--rounds` rounds.
Prints calls/s, p50/p99 and the proxy's CPU per call, which does not depend on how busy the
rest of the machine is.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.proxy_vs_nginx import (  # noqa: E402
    free_port,
    put_one_route,
    stop,
    tree_cpu_seconds,
    wait_port,
)

HOST = "grpc.bench.example"


def push_table(admin_port: int, listen_port: int, backend_port: int) -> None:
    """One GRPCRoute, one backend."""
    route = {
        "kind": "GRPCRoute",
        "namespace": "bench",
        "name": "grpc",
        "creationTimestamp": "2026-01-01T00:00:00Z",
        "hostnames": [HOST],
        "rules": [
            {
                "index": 0,
                "matches": [{"method": None, "headers": []}],
                "filters": [],
                "backends": [
                    {
                        "name": "bench/grpc-echo:8080",
                        "weight": 1,
                        "valid": True,
                        "endpoints": [{"ip": "127.0.0.1", "port": backend_port}],
                        "filters": [],
                    }
                ],
            }
        ],
    }
    put_one_route(admin_port, listen_port, route)


def _client(target: str, threads: int, duration: float, out: Any) -> None:
    from harness.bench.grpc_load import grpc_echo_call, run_threads

    result = run_threads(grpc_echo_call(target, HOST), threads, duration)
    out.put(
        {
            "completed": result.completed,
            "errors": result.errors,
            "seconds": result.duration_s,
            "p50_ms": result.p50_us / 1000,
            "p99_ms": result.p99_us / 1000,
        }
    )


def load(target: str, clients: int, threads: int, duration: float) -> dict[str, float]:
    """Closed-loop unary calls from `clients` processes; summed rate, worst-client percentiles."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_client, args=(target, threads, duration, out)) for _ in range(clients)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=duration + 120) for _ in procs]
    for p in procs:
        p.join()
    return {
        "rps": sum(r["completed"] / r["seconds"] for r in results),
        "calls": float(sum(r["completed"] for r in results)),
        "errors": float(sum(r["errors"] for r in results)),
        "p50_ms": max(r["p50_ms"] for r in results),
        "p99_ms": max(r["p99_ms"] for r in results),
    }


def main() -> int:
    """Run both loads and print the comparison."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds per load run")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="threads (channels) per client")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    backend_port, proxy_port, admin_port = (free_port() for _ in range(3))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    echo_env = dict(
        env, GRPC_ECHO_SERVER="1", HTTP_PORT=str(backend_port), POD_NAME="grpc-echo-bench"
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        backend = subprocess.Popen(
            [sys.executable, "-m", "harness.echo", "--bind", "127.0.0.1"],
            cwd=REPO,
            env=echo_env,
            stdout=subprocess.DEVNULL,
        )
        procs.append(backend)
        proxy = subprocess.Popen(
            [
                "taskset", "-c", "0", sys.executable, "-m", "reference_impl.proxy",
                "--admin-address", f"127.0.0.1:{admin_port}", "--workers", "1",
                "--listen-address", "127.0.0.1",
            ],
            cwd=REPO,
            env=env,
        )  # fmt: skip
        procs.append(proxy)
        for port in (backend_port, admin_port):
            wait_port(port)
        push_table(admin_port, proxy_port, backend_port)
        wait_port(proxy_port)
        direct_target, proxy_target = f"127.0.0.1:{backend_port}", f"127.0.0.1:{proxy_port}"
        print("warm-up...")
        load(proxy_target, 1, 2, 2)
        direct_runs: list[dict[str, float]] = []
        proxy_runs: list[dict[str, float]] = []
        for i in range(args.rounds):
            direct_runs.append(load(direct_target, args.clients, args.threads, args.duration))
            before = tree_cpu_seconds(proxy.pid)
            run = load(proxy_target, args.clients, args.threads, args.duration)
            run["cpu_us_per_call"] = (
                (tree_cpu_seconds(proxy.pid) - before) * 1e6 / max(run["calls"], 1.0)
            )
            proxy_runs.append(run)
            print(
                f"round {i + 1}: direct {direct_runs[-1]['rps']:.0f} calls/s, "
                f"through the proxy {run['rps']:.0f} calls/s "
                f"({run['cpu_us_per_call']:.0f} proxy CPU-us/call, {run['errors']:.0f} errors)"
            )
            time.sleep(0.5)
    finally:
        for proc in reversed(procs):
            stop(proc)

    def median(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    print(f"\n{'run':<34} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, runs in (("straight to the backend", direct_runs), ("through the proxy", proxy_runs)):
        print(
            f"{name:<34} {median(runs, 'rps'):>9.0f} {median(runs, 'p50_ms'):>8.2f}"
            f" {median(runs, 'p99_ms'):>8.2f} {sum(r['errors'] for r in runs):>7.0f}"
        )
    ratio = median(proxy_runs, "rps") / max(median(direct_runs, "rps"), 1.0)
    print(f"\nthrough-proxy / direct calls/s: {ratio:.2f}")
    print(f"proxy CPU per call (median): {median(proxy_runs, 'cpu_us_per_call'):.0f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
