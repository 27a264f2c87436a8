"""`gwh conformance`: the conformance suites under pytest with the project's plugin."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import harness.cluster
from harness.cli.bench_commands import default_run_dir
from harness.cli.run_commands import (
    add_address_flags,
    add_implementation_flags,
    implementation_from_args,
)
from harness.main_job import (
    REFERENCE_GATEWAY_CLASS,
    metadata_options,
    reference_metadata,
    run_conformance,
    static_address_options,
)

if TYPE_CHECKING:
    from harness.cli import Output


def register(sub: Any) -> None:
    p = sub.add_parser(
        "conformance",
        help="run the conformance suites",
        description="Run the Gateway API conformance scenarios against a GatewayClass and write "
        "a ConformanceReport (upstream format), JUnit XML and the results JSON into the run "
        "folder. Arguments after `--` go to pytest (e.g. -- -n 2 -k Redirect).",
    )
    p.add_argument(
        "--gateway-class",
        default="gateway-harness",
        help="GatewayClass under test (default: %(default)s)",
    )
    p.add_argument("--profiles", help="conformance profiles, comma separated (e.g. GATEWAY-HTTP)")
    p.add_argument(
        "--supported-features", help="comma separated; default: read from the GatewayClass status"
    )
    p.add_argument("--exempt-features", help="comma separated")
    p.add_argument("--all-features", action="store_true", help="claim every feature")
    p.add_argument("--skip-tests", help="ShortNames to skip, comma separated")
    p.add_argument("--run-test", help="run only this ShortName")
    p.add_argument(
        "--report-output",
        type=Path,
        help="ConformanceReport YAML path (default: in the run folder)",
    )
    p.add_argument("--output", type=Path, help="run folder (default: reports/runs/<run-id>)")
    p.add_argument("--name", default="default", help="cluster name (default: %(default)s)")
    p.add_argument("--provider", default="local", help="local, kind or existing")
    p.add_argument("--kubeconfig", help="kubeconfig file (provider existing)")
    p.add_argument("--context", help="kubeconfig context (provider existing)")
    add_address_flags(p)
    add_implementation_flags(p)
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: extra pytest arguments")
    p.set_defaults(handler=cmd_conformance)


def plugin_options(args: argparse.Namespace) -> list[str]:
    options: list[str] = []
    for flag, value in (
        ("--profiles", args.profiles),
        ("--supported-features", args.supported_features),
        ("--exempt-features", args.exempt_features),
        ("--skip-tests", args.skip_tests),
        ("--run-test", args.run_test),
    ):
        if value:
            options += [flag, value]
    if args.all_features:
        options.append("--all-features")
    described = implementation_from_args(args)
    if not described and args.gateway_class == REFERENCE_GATEWAY_CLASS:
        described = reference_metadata()
    options += metadata_options(described)
    extra = list(args.pytest_args)
    if extra and extra[0] == "--":
        extra = extra[1:]
    return options + extra


def cmd_conformance(args: argparse.Namespace, out: Output) -> int:
    cluster = harness.cluster.open(
        args.name, args.provider, kubeconfig=args.kubeconfig, context=args.context
    )
    run_dir = args.output or default_run_dir()
    out.progress(f"Running conformance against GatewayClass {args.gateway_class} …")
    code = run_conformance(
        cluster,
        args.gateway_class,
        run_dir,
        options=static_address_options(
            cluster, args.usable_address or (), args.unusable_address or ()
        )
        + plugin_options(args),
        report_output=args.report_output,
    )
    out.result(f"Conformance results in {run_dir}", {"output": str(run_dir), "exit_code": code})
    return code
