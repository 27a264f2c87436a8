"""The reference implementation's numbers from issue 4, printed beside their targets.

Runs on a local cluster with the reference implementation installed:
  python benchmarks/reference_impl.py [--name default] [--samples 20] [--churn-seconds 60]

- route-change propagation (apply an HTTPRoute -> first 200 through the proxy), p50 and p99,
  with 1, 100 and 1000 routes attached; apply -> Accepted p50;
- non-2xx responses during route churn under load;
- controller and proxy memory with 1000 routes.
The proxy's requests/s against nginx is `benchmarks/proxy_vs_nginx.py`.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import harness.cluster
from harness.bench import BenchContext, Profile, check_gateway_class
from suites.performance import reconcile_latency, route_churn, route_scale


def _quantile(samples: list[float], q: float) -> float:
    xs = sorted(samples)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def _metric(result: Any, name: str) -> dict[str, Any]:
    return next(m for m in result.metrics if m["name"] == name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="default", help="local cluster name")
    parser.add_argument("--gateway-class", default="gateway-harness")
    parser.add_argument("--samples", type=int, default=20, help="propagation samples per step")
    parser.add_argument("--churn-seconds", type=float, default=60.0)
    parser.add_argument("--churn-rate", type=float, default=200.0)
    args = parser.parse_args()
    if args.samples < 2 or args.churn_seconds <= 0 or args.churn_rate <= 0:
        parser.error("--samples must be >= 2, --churn-seconds and --churn-rate > 0")
    cluster = harness.cluster.open(args.name)
    check_gateway_class(cluster, args.gateway_class)
    profile = dataclasses.replace(
        Profile.named("full"),
        name="issue-4",
        load_seconds=5.0,
        route_steps=(1000,),
        reconcile_samples=args.samples,
        reconcile_backgrounds=(1, 100, 1000),
        churn_seconds=args.churn_seconds,
    )
    out = Path(tempfile.mkdtemp(prefix="gwh-issue4-"))

    def context(rate: float | None = None) -> BenchContext:
        return BenchContext(cluster, args.gateway_class, profile, out, print, rate_override=rate)

    rows: list[tuple[str, str, str]] = []
    with context().scoped() as ctx:
        rec = reconcile_latency.SCENARIO.run(ctx)
    for n in (1, 100, 1000):
        s = _metric(rec, f"routes_{n}_apply_to_first_200")["samples"]
        target = "p50 <= 50, p99 <= 250" if n == 1000 else ""
        rows.append(
            (
                f"propagation, {n} routes (ms)",
                f"p50 {statistics.median(s):.0f}, p99 {_quantile(s, 0.99):.0f}",
                target,
            )
        )
        acc = _metric(rec, f"routes_{n}_apply_to_accepted")["samples"]
        rows.append(
            (f"apply -> Accepted, {n} routes (ms)", f"p50 {statistics.median(acc):.0f}", "")
        )
    with context(args.churn_rate).scoped() as ctx:
        churn = route_churn.SCENARIO.run(ctx)
    rows.append(
        (
            f"non-2xx in {args.churn_seconds:.0f}s of churn at {args.churn_rate:.0f} req/s",
            f"{_metric(churn, 'non_2xx_total')['value']:.0f} "
            f"({churn.parameters['route_changes']} route changes)",
            "0",
        )
    )
    with context().scoped() as ctx:
        scale = route_scale.SCENARIO.run(ctx)
    for part, target in (("controller", "<= 300"), ("data_plane", "<= 150 per process")):
        total = next(
            (m for m in scale.metrics if m["name"] == f"routes_1000_{part}_rss_mib_max"), None
        )
        per = next(
            (
                m
                for m in scale.metrics
                if m["name"] == f"routes_1000_{part}_rss_mib_max_per_process"
            ),
            None,
        )
        shown = (
            f"{total['value']:.0f} total, {per['value']:.0f} largest process"
            if total and per
            else "not sampled"
        )
        rows.append((f"{part.replace('_', '-')} RSS with 1000 routes (MiB)", shown, target))

    width = max(len(r[0]) for r in rows) + 2
    print(f"\n{'metric':<{width}}{'measured':<44}target")
    for name, value, target in rows:
        print(f"{name:<{width}}{value:<44}{target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
