"""Measure the local cluster's life cycle: cold build, `up` from cache, memory after up, `down`.

Usage: python benchmarks/cluster_lifecycle.py [--cold-build] [--rounds N] [--no-node-agent]

`--cold-build` rebuilds every binary with an empty Go build cache (the Go module cache is kept,
so downloads are not measured); it takes minutes. Targets from the issue are printed beside the
numbers: up <= 15 s with cached binaries, control-plane RSS <= 1.2 GiB, down <= 5 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import psutil

from harness.cluster.local import build, controlplane
from harness.cluster.local.controlplane import UpOptions
from harness.cluster.local.state import ClusterState

BUILD_SNIPPET = (
    "from harness.cluster.local import build; build.build(build.DEFAULT_KUBERNETES_VERSION)"
)


def cold_build_seconds() -> float:
    with tempfile.TemporaryDirectory() as cache_home, tempfile.TemporaryDirectory() as gocache:
        env = dict(os.environ, GWH_CACHE_HOME=cache_home, GOCACHE=gocache)
        t0 = time.monotonic()
        subprocess.run(
            [sys.executable, "-c", BUILD_SNIPPET],
            env=env,
            check=True,
        )
        return time.monotonic() - t0


def rss_mib(state: ClusterState) -> dict[str, float]:
    out = {}
    for component, pid in state.pids.items():
        try:
            out[component] = psutil.Process(pid).memory_info().rss / 2**20
        except psutil.Error:
            continue
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-build", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-node-agent", action="store_true")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be >= 1")

    if args.cold_build:
        print(f"cold build (empty Go build cache): {cold_build_seconds():.0f} s", flush=True)
    build.build(build.DEFAULT_KUBERNETES_VERSION)  # make sure the cache is warm

    ups, downs, totals = [], [], []
    for i in range(args.rounds):
        name = f"bench-{uuid.uuid4().hex[:6]}"
        t0 = time.monotonic()
        options = UpOptions(node_agent=not args.no_node_agent)
        controlplane.up(name, options, progress=lambda _m: None)
        ups.append(time.monotonic() - t0)
        time.sleep(5)  # let the controllers settle before reading memory
        mem = rss_mib(ClusterState.load(name))
        totals.append(sum(mem.values()))
        detail = ", ".join(f"{k} {v:.0f}" for k, v in sorted(mem.items()))
        t0 = time.monotonic()
        controlplane.down(name, progress=lambda _m: None)
        downs.append(time.monotonic() - t0)
        print(
            f"round {i + 1}: up {ups[-1]:.1f} s, RSS {totals[-1]:.0f} MiB ({detail}), "
            f"down {downs[-1]:.1f} s",
            flush=True,
        )

    def fmt(xs: list[float]) -> str:
        return f"median {statistics.median(xs):.1f}, min {min(xs):.1f}, max {max(xs):.1f}"

    print()
    print(f"{'metric':<34}{'measured':<40}target")
    print(f"{'up to ready (cached binaries), s':<34}{fmt(ups):<40}<= 15")
    print(f"{'control-plane RSS after up, MiB':<34}{fmt(totals):<40}<= 1229 (1.2 GiB)")
    print(f"{'down, s':<34}{fmt(downs):<40}<= 5")
    return 0


if __name__ == "__main__":
    sys.exit(main())
