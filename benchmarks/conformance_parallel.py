"""Wall time of a conformance run serially and under ``pytest -n N``, and whether verdicts agree.

Usage:
  python benchmarks/conformance_parallel.py --kubeconfig "$(gwh cluster kubeconfig --name strict)" \
      [--gateway-class gateway-harness] [--profiles GATEWAY-HTTP] [--workers 2] [--out DIR]

Runs ``python -m pytest suites/conformance`` twice against the same cluster (serial first,
then with ``-n N``), keeps both results JSON files in ``--out``, prints both wall times and
every ShortName whose outcome differs. The runs share base Gateways, so they never overlap.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_suite(args: argparse.Namespace, results: Path, workers: int) -> tuple[float, int]:
    """(wall seconds, pytest exit code) of one run writing ``results``."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "suites/conformance",
        "--gateway-class",
        args.gateway_class,
        "--kubeconfig",
        args.kubeconfig,
        "--profiles",
        args.profiles,
        "--results-output",
        str(results),
        "-p",
        "no:cacheprovider",
        "-q",
    ]
    if workers > 1:
        command += ["-n", str(workers)]
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO, check=False, stdout=subprocess.DEVNULL)
    return time.monotonic() - started, done.returncode


def outcomes(results: Path) -> dict[str, str]:
    return {t["shortName"]: t["outcome"] for t in json.loads(results.read_text())["tests"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--gateway-class", default="gateway-harness")
    parser.add_argument("--profiles", default="GATEWAY-HTTP")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("reports/bench-conformance-parallel"))
    args = parser.parse_args()
    if args.workers < 2:
        parser.error("--workers must be at least 2 (the serial run is always made)")
    args.out.mkdir(parents=True, exist_ok=True)
    serial_json = args.out / "serial.json"
    parallel_json = args.out / f"n{args.workers}.json"

    serial_s, serial_rc = run_suite(args, serial_json, 1)
    print(f"serial      : {serial_s:8.1f} s  (pytest exit {serial_rc})", flush=True)
    parallel_s, parallel_rc = run_suite(args, parallel_json, args.workers)
    print(f"-n {args.workers:<9}: {parallel_s:8.1f} s  (pytest exit {parallel_rc})", flush=True)
    print(f"speed-up    : {serial_s / parallel_s:8.2f} x")

    serial, parallel = outcomes(serial_json), outcomes(parallel_json)
    counts = {o: list(serial.values()).count(o) for o in sorted(set(serial.values()))}
    print(f"tests       : {len(serial)} serial, {len(parallel)} parallel; serial outcomes {counts}")
    differing = sorted(
        name for name in serial.keys() | parallel.keys() if serial.get(name) != parallel.get(name)
    )
    for name in differing:
        print(f"DIFFERENT   : {name}: serial {serial.get(name)}, -n: {parallel.get(name)}")
    print(f"verdicts    : {'identical' if not differing else f'{len(differing)} differ'}")
    print(f"results     : {serial_json} {parallel_json}")
    return 0 if not differing else 1


if __name__ == "__main__":
    sys.exit(main())
