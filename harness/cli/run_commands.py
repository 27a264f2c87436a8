"""`gwh run`: the main job on the embedded default, or on any implementation."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.cli.bench_commands import default_run_dir
from harness.main_job import REFERENCE_GATEWAY_CLASS, MainJobOptions, run_main_job

if TYPE_CHECKING:
    from harness.cli import Output


def register(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="the main job: cluster, implementation, conformance, quick benchmark, report",
        description="Bring the local cluster up (built once), install the reference "
        "implementation, run the GATEWAY-HTTP conformance profile and the quick benchmark, "
        "and write a report. The exit code is the conformance verdict (0 = passed). With "
        "--provider existing|kind and --gateway-class it does the same for any implementation.",
    )
    p.add_argument("--provider", default="local", help="local (default), kind or existing")
    p.add_argument("--name", default="default", help="cluster name (default: %(default)s)")
    p.add_argument("--kubeconfig", help="kubeconfig file (provider existing)")
    p.add_argument("--context", help="kubeconfig context (provider existing)")
    p.add_argument(
        "--gateway-class",
        default=REFERENCE_GATEWAY_CLASS,
        help="GatewayClass under test (default: the bundled reference, installed "
        "on the local provider)",
    )
    p.add_argument(
        "--profiles", default="GATEWAY-HTTP", help="conformance profiles (default: %(default)s)"
    )
    p.add_argument(
        "--no-bench", dest="bench", action="store_false", help="skip the quick benchmark"
    )
    p.add_argument("--output", type=Path, help="run folder (default: reports/runs/<run-id>)")
    add_address_flags(p)
    add_implementation_flags(p)
    p.set_defaults(handler=cmd_run)


def add_address_flags(p: argparse.ArgumentParser) -> None:
    """The addresses GatewayStaticAddresses asks a Gateway for."""
    p.add_argument(
        "--usable-address",
        action="append",
        help="address a Gateway may request in spec.addresses (GatewayStaticAddresses); "
        "local clusters default to a free load-balancer pool address",
    )
    p.add_argument(
        "--unusable-address",
        action="append",
        help="address a Gateway cannot get; local clusters default to one outside the pool",
    )


def add_implementation_flags(p: argparse.ArgumentParser) -> None:
    """The ConformanceReport's implementation fields (the bundled reference fills its own)."""
    p.add_argument("--organization", help="report: the implementation's organization")
    p.add_argument("--project", help="report: the implementation's project name")
    p.add_argument("--url", help="report: the implementation's URL")
    p.add_argument("--implementation-version", help="report: the implementation's version")
    p.add_argument("--contact", help="report: who to contact about the report")


def implementation_from_args(args: argparse.Namespace) -> dict[str, str]:
    fields = {
        "organization": args.organization,
        "project": args.project,
        "url": args.url,
        "version": args.implementation_version,
        "contact": args.contact,
    }
    return {k: v for k, v in fields.items() if v}


def cmd_run(args: argparse.Namespace, out: Output) -> int:
    run_dir = args.output or default_run_dir()
    options = MainJobOptions(
        provider=args.provider,
        name=args.name,
        kubeconfig=args.kubeconfig,
        context=args.context,
        gateway_class=args.gateway_class,
        profiles=args.profiles,
        bench=args.bench,
        implementation=implementation_from_args(args),
        usable_addresses=list(args.usable_address or ()),
        unusable_addresses=list(args.unusable_address or ()),
    )
    outcome = run_main_job(options, run_dir, out.progress)
    verdict = "PASSED" if outcome.passed else "FAILED"
    out.result(
        f"Conformance {verdict}. Report: {outcome.report_html}\n"
        f"Summary: {outcome.summary_md}\n"
        "The cluster keeps running for the next run; `gwh cluster down` removes it.",
        {
            "run_dir": str(outcome.run_dir),
            "passed": outcome.passed,
            "report_html": str(outcome.report_html),
            "summary_md": str(outcome.summary_md),
        },
    )
    return 0 if outcome.passed else 1
