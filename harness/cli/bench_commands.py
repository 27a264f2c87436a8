"""`gwh bench [SCENARIO...]`: the performance suites against one GatewayClass."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import harness.cluster
from harness.bench import available_scenarios, run_bench
from harness.results import new_run_id

if TYPE_CHECKING:
    from harness.cli import Output


def default_run_dir() -> Path:
    """`reports/runs/<run-id>` with the results package's run ids."""
    return Path("reports") / "runs" / new_run_id()


def register(sub: Any) -> None:
    names = ", ".join(available_scenarios()) or "(none installed)"
    p = sub.add_parser(
        "bench",
        help="run the performance suites",
        description=f"Run performance scenarios against a GatewayClass. Scenarios: {names}.",
    )
    p.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO", help="scenarios to run (default: all)"
    )
    p.add_argument(
        "--gateway-class",
        default="gateway-harness",
        help="GatewayClass under test (default: %(default)s)",
    )
    p.add_argument(
        "--quick", action="store_true", help="the short CI profile (the whole set in a few minutes)"
    )
    p.add_argument(
        "--profile",
        choices=("quick", "full"),
        default=None,
        help="quick or full (nightly); default full, or quick with --quick",
    )
    p.add_argument("--duration", type=float, help="seconds of load per measurement")
    p.add_argument("--rate", type=float, help="request rate for the paced scenarios")
    p.add_argument("--output", type=Path, help="run folder (default: reports/runs/<run-id>)")
    p.add_argument("--name", default="default", help="cluster name (default: %(default)s)")
    p.add_argument("--provider", default="local", help="local, kind or existing")
    p.add_argument("--kubeconfig", help="kubeconfig file (provider existing)")
    p.add_argument("--context", help="kubeconfig context (provider existing)")
    p.set_defaults(handler=cmd_bench)


def cmd_bench(args: argparse.Namespace, out: Output) -> int:
    cluster = harness.cluster.open(
        args.name, args.provider, kubeconfig=args.kubeconfig, context=args.context
    )
    profile = args.profile or ("quick" if args.quick else "full")
    output = args.output or default_run_dir()
    results = run_bench(
        cluster,
        gateway_class=args.gateway_class,
        scenario_names=args.scenarios,
        profile=profile,
        output_dir=output,
        progress=out.progress,
        duration=args.duration,
        rate=args.rate,
    )
    lines = [f"Results in {output}/performance.json"]
    for r in results:
        flag = "  (generator-bound)" if r.generator_bound else ""
        lines.append(f"{r.name}{flag}")
        for m in r.metrics:
            lines.append(f"  {m['name']:<44} {m['value']:>12.2f} {m['unit']}")
    out.result(
        "\n".join(lines), {"output": str(output), "scenarios": [r.to_dict() for r in results]}
    )
    return 0
