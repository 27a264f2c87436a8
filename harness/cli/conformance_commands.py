"""`gwh conformance`: the conformance suites under pytest with the project's plugin."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import harness
import harness.cluster
from harness.cli.bench_commands import default_run_dir

if TYPE_CHECKING:
    from harness.cli import Output


def suites_dir() -> Path:
    """`suites/conformance` beside the installed `harness` package (a path, not an import)."""
    return Path(harness.__file__).resolve().parent.parent / "suites" / "conformance"


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
    p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: extra pytest arguments")
    p.set_defaults(handler=cmd_conformance)


def pytest_command(
    args: argparse.Namespace, cluster: harness.cluster.Cluster, run_dir: Path
) -> list[str]:
    report = args.report_output or run_dir / "conformance-report.yaml"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(suites_dir()),
        "-p",
        "no:cacheprovider",
        "--gateway-class",
        args.gateway_class,
        "--kubeconfig",
        str(cluster.kubeconfig),
        "--report-output",
        str(report),
        "--results-output",
        str(run_dir / "conformance-results.json"),
        f"--junitxml={run_dir / 'junit.xml'}",
        "-q",
    ]
    if cluster.context:
        cmd += ["--context", cluster.context]
    for flag, value in (
        ("--profiles", args.profiles),
        ("--supported-features", args.supported_features),
        ("--exempt-features", args.exempt_features),
        ("--skip-tests", args.skip_tests),
        ("--run-test", args.run_test),
    ):
        if value:
            cmd += [flag, value]
    if args.all_features:
        cmd.append("--all-features")
    extra = list(args.pytest_args)
    if extra and extra[0] == "--":
        extra = extra[1:]
    return cmd + extra


def cmd_conformance(args: argparse.Namespace, out: Output) -> int:
    cluster = harness.cluster.open(
        args.name, args.provider, kubeconfig=args.kubeconfig, context=args.context
    )
    run_dir = args.output or default_run_dir()
    run_dir.mkdir(parents=True, exist_ok=True)
    cmd = pytest_command(args, cluster, run_dir)
    out.progress(f"Running conformance against GatewayClass {args.gateway_class} …")
    code = subprocess.run(cmd).returncode
    out.result(f"Conformance results in {run_dir}", {"output": str(run_dir), "exit_code": code})
    return code
