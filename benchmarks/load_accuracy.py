"""How the harness load engine compares with wrk on one loopback target, one core each.

Starts nginx (``return 200``, one worker, no logs; the harness calibration
server with uvloop if nginx is missing) pinned to the first CPU, pins the
generators to the last CPU, then prints one table:

* closed loop at the same connection count: requests/s and latency percentiles;
* a paced rate (wrk paced through its Lua ``delay()``, which is closed-loop and
  millisecond-granular; plain wrk has no rate): the harness's open-loop latency
  from the intended send time, its service time, and wrk's latency;
* the highest rate per generator core (many connections, one core each).

Usage: ``python benchmarks/load_accuracy.py [--duration 5] [--rate 2000]``.
Needs ``wrk`` on PATH. Numbers vary run to run on shared machines (±30%).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.load import LoadMode, LoadResult, LoadSpec, run_load

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{ return 200 "ok\\n"; }}
    }}
}}
"""

PACED_LUA = """
local interval_ms = {interval_ms}
function delay()
    return interval_ms
end
"""


@dataclass(frozen=True)
class Row:
    """One line of the table: a name and the harness and wrk figures."""

    measurement: str
    harness: str
    wrk: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_listening(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"the target on 127.0.0.1:{port} did not start listening")


@contextmanager
def target_server(server_cpu: int, kind: str = "echo") -> Iterator[tuple[str, str]]:
    """A fast HTTP target on loopback; yields (url, description)."""
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="gwh-load-accuracy-"))
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if kind == "echo":
        command = [sys.executable, "-m", "harness.echo", "--bind", "127.0.0.1"]
        os.environ["HTTP_PORT"] = str(port)
        os.environ["H2C_PORT"] = str(free_port())
        description = "the project's echo server (echo-basic compatible)"
    elif nginx:
        (root / "nginx.conf").write_text(NGINX_CONF.format(root=root, port=port))
        command = [nginx, "-p", str(root), "-c", str(root / "nginx.conf")]
        description = "nginx 1 worker, return 200"
    else:
        command = [sys.executable, "-m", "harness.load.calibration_server", "--uvloop"]
        command += ["--port", str(port)]
        description = "harness calibration server (uvloop)"
    process = subprocess.Popen(
        ["taskset", "-c", str(server_cpu), *command],
        stdout=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        wait_listening(port)
        yield f"http://127.0.0.1:{port}/", description
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


_UNITS = {"us": 1.0, "ms": 1000.0, "s": 1_000_000.0}


def _micros(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass(frozen=True)
class WrkRun:
    rate: float
    percentiles_us: dict[str, float]


def run_wrk(
    url: str, connections: int, duration_s: float, cpu: int, lua: str | None = None
) -> WrkRun:
    command = ["taskset", "-c", str(cpu), "wrk", "-t1", f"-c{connections}"]
    command += [f"-d{int(duration_s)}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if lua:
            script.write(lua)
            command += ["-s", script.name]
    try:
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    percentiles = {
        m.group(1): _micros(m.group(2))
        for m in re.finditer(r"^\s+(50|75|90|99)%\s+(\S+)$", output, re.MULTILINE)
    }
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return WrkRun(rate, percentiles)


def fmt_us(value: float) -> str:
    return f"{value / 1000:.2f} ms" if value >= 1000 else f"{value:.0f} µs"


def harness_percentiles(result: LoadResult, which: str = "latency") -> str:
    summary = result.latency if which == "latency" else result.service_time
    return f"p50 {fmt_us(summary.p50_us)} / p99 {fmt_us(summary.p99_us)}"


def wrk_percentiles(run: WrkRun) -> str:
    return f"p50 {fmt_us(run.percentiles_us['50'])} / p99 {fmt_us(run.percentiles_us['99'])}"


def cpu_note(result: LoadResult) -> str:
    cpu = result.generator.worker_cpu_mean_percent
    demand = result.generator.worker_cpu_demand_mean_percent
    bound = " GENERATOR-BOUND" if result.generator_bound else ""
    if not cpu:
        return ""
    wanted = f", demand {demand[0]:.0f}%" if demand else ""
    return f" (cpu {cpu[0]:.0f}%{wanted}{bound})"


def main() -> int:
    parser = argparse.ArgumentParser(description="harness load engine vs wrk on loopback")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per run")
    parser.add_argument("--rate", type=float, default=2000.0, help="paced rate, requests/s")
    parser.add_argument("--connections", type=int, default=10, help="connections, closed/paced")
    parser.add_argument("--max-connections", type=int, default=50, help="connections, max rate")
    parser.add_argument(
        "--target",
        choices=("echo", "nginx"),
        default="echo",
        help="server under load (default: the echo server, as issue 6 asks)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not on PATH: install the Debian package 'wrk' and run again")
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, generator_cpu = cpus[0], cpus[-1]
    # the harness workers inherit this affinity: one generator core, like wrk -t1
    os.sched_setaffinity(0, {generator_cpu})
    rows: list[Row] = []
    with target_server(server_cpu, args.target) as (url, description):
        base = {"url": url, "duration_s": args.duration, "workers": 1}
        c = args.connections

        closed = run_load(LoadSpec(**base, connections=c))
        wrk_closed = run_wrk(url, c, args.duration, generator_cpu)
        rows.append(
            Row(
                f"closed c={c}: req/s",
                f"{closed.achieved_rate:,.0f}{cpu_note(closed)}",
                f"{wrk_closed.rate:,.0f}",
            )
        )
        rows.append(
            Row(f"closed c={c}: latency", harness_percentiles(closed), wrk_percentiles(wrk_closed))
        )

        paced = run_load(LoadSpec(**base, mode=LoadMode.OPEN, rate=args.rate, connections=c))
        interval_ms = max(1, round(1000 * c / args.rate))
        wrk_paced = run_wrk(
            url, c, args.duration, generator_cpu, PACED_LUA.format(interval_ms=interval_ms)
        )
        rows.append(
            Row(
                f"paced {args.rate:,.0f}/s c={c}: req/s",
                f"{paced.achieved_rate:,.0f}{cpu_note(paced)}",
                f"{wrk_paced.rate:,.0f} (Lua delay {interval_ms} ms/conn)",
            )
        )
        rows.append(
            Row("paced: latency from intended send", harness_percentiles(paced), "n/a (closed)")
        )
        rows.append(
            Row(
                "paced: service time",
                harness_percentiles(paced, "service"),
                wrk_percentiles(wrk_paced),
            )
        )
        rows.append(
            Row(
                "paced: send lag p50/p99",
                f"{fmt_us(paced.send_lag.p50_us)} / {fmt_us(paced.send_lag.p99_us)}",
                "-",
            )
        )

        m = args.max_connections
        top = run_load(LoadSpec(**base, connections=m))
        wrk_top = run_wrk(url, m, args.duration, generator_cpu)
        rows.append(
            Row(
                f"max rate per generator core (c={m})",
                f"{top.achieved_rate:,.0f}{cpu_note(top)}",
                f"{wrk_top.rate:,.0f}",
            )
        )
        rows.append(
            Row(f"max rate c={m}: latency", harness_percentiles(top), wrk_percentiles(wrk_top))
        )
        ratio = wrk_top.rate / top.achieved_rate if top.achieved_rate else float("inf")

    print(
        f"target: {description} on cpu {server_cpu}; generators on cpu {generator_cpu}; "
        f"{args.duration:.0f} s per run"
    )
    width = max(len(r.measurement) for r in rows)
    hwidth = max(len(r.harness) for r in [*rows, Row("", "harness", "")])
    print(f"{'measurement':<{width}} | {'harness (locust workers)':<{hwidth}} | wrk 4.1 -t1")
    print(f"{'-' * width}-+-{'-' * hwidth}-+-{'-' * 30}")
    for row in rows:
        print(f"{row.measurement:<{width}} | {row.harness:<{hwidth}} | {row.wrk}")
    print(
        f"wrk sends {ratio:.1f}x the harness's requests per core; "
        "use workers >= 3x the target's rate / harness rate per core."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
