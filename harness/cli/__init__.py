"""`gwh`: the command line, a thin layer over the `harness` library."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from harness.cli import (
    bench_commands,
    cluster_commands,
    conformance_commands,
    reference_commands,
    report_commands,
    run_commands,
)
from harness.cluster.errors import ClusterError

__all__ = ["build_parser", "main"]

# The library's exceptions that describe a problem with the input or the target, by name, so
# the CLI need not import every layer at start-up.
USER_ERRORS = frozenset(
    {
        "TargetUnreachableError",
        "LoadRunError",
        "ResultsError",
        "ManifestError",
        "WaitTimeout",
        "ClusterUnreachable",
        "TimeoutError",
    }
)


class Output:
    """Where progress and results go: `-q` silences progress, `--json` makes results JSON."""

    def __init__(self, quiet: bool, as_json: bool) -> None:
        self.quiet = quiet
        self.as_json = as_json

    def progress(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def result(self, human: str, data: Any) -> None:
        if self.as_json:
            print(json.dumps(data, indent=2, sort_keys=True, default=str))
        elif human:
            print(human)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gwh",
        description="Conformance and performance harness for the Kubernetes Gateway API.",
        epilog="Start with `gwh cluster up`; every command has --help.",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    parser.add_argument(
        "--json", action="store_true", help="print machine-readable results on stdout"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    run_commands.register(sub)
    cluster_commands.register(sub)
    report_commands.register(sub)
    reference_commands.register(sub)
    bench_commands.register(sub)
    conformance_commands.register(sub)
    return parser


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # A CI job's timeout sends SIGTERM: unwind like Ctrl-C so every run removes what it made.
    signal.signal(signal.SIGTERM, _terminate)
    out = Output(args.quiet, args.json)
    handler: Callable[[argparse.Namespace, Output], int] = args.handler
    try:
        return handler(args, out)
    except ClusterError as e:
        print(f"gwh: error: {e}", file=sys.stderr)
        return 1
    except Exception as e:
        # Errors the library raises for the user to act on: one message, no traceback.
        if type(e).__name__ not in USER_ERRORS:
            raise
        print(f"gwh: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gwh: interrupted; everything this command started was stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
