"""Requests per second of the echo server beside nginx, both pinned to one core, wrk on another.

Usage: python benchmarks/echo_vs_nginx.py [--duration 15] [--rounds 3] [--connections 50]
                                          [--server-core 0] [--client-core 1]

Both servers bind 127.0.0.1 on free ports; nginx runs from a temporary prefix with a fixed
``return 200`` and is stopped afterwards. Prints both rates and echo/nginx (target >= 0.3).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

_RATE_RE = re.compile(r"Requests/sec:\s+([0-9.]+)")
_NGINX_TEMP_MODULES = ("proxy", "fastcgi", "uwsgi", "scgi")


def free_port() -> int:
    """An unused loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    """Block until something listens on 127.0.0.1:port, or fail naming what died."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited with status {proc.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} did not listen on 127.0.0.1:{port} within 20 s")


def pinned(core: int) -> Callable[[], None]:
    """A preexec_fn pinning the child (and its children) to one CPU core."""

    def pin() -> None:
        os.sched_setaffinity(0, {core})

    return pin


def nginx_config(prefix: Path, port: int) -> str:
    """A minimal nginx config: one worker, loopback only, fixed 200, all files under prefix."""
    version = subprocess.run(["nginx", "-V"], capture_output=True, text=True).stderr
    temp_paths = [f"    client_body_temp_path {prefix}/client_body;"]
    for module in _NGINX_TEMP_MODULES:
        if f"--without-http_{module}_module" not in version:
            temp_paths.append(f"    {module}_temp_path {prefix}/{module};")
    temp_block = "\n".join(temp_paths)
    return f"""worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
{temp_block}
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok\\n"; }}
    }}
}}
"""


def run_wrk(core: int, port: int, path: str, connections: int, duration: int) -> float:
    """Requests per second wrk measures against 127.0.0.1:port, pinned to core."""
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        f"http://127.0.0.1:{port}{path}",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, preexec_fn=pinned(core), timeout=duration + 60
    )
    match = _RATE_RE.search(result.stdout)
    if result.returncode != 0 or match is None:
        sys.exit(f"wrk failed ({result.returncode}): {result.stdout}{result.stderr}")
    return float(match.group(1))


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Signal proc and wait for it; kill it if it does not exit."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    """Measure both servers and print the rates and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per server, all rounds")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per server")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections")
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--client-core", type=int, default=1)
    parser.add_argument("--path", default="/", help="echo server path (default: the JSON echo)")
    args = parser.parse_args()
    for tool, package in (("nginx", "nginx-light"), ("wrk", "wrk")):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed; install it with: apt-get install -y {package}")
    cores = os.sched_getaffinity(0)
    if {args.server_core, args.client_core} - cores or args.server_core == args.client_core:
        sys.exit(f"--server-core and --client-core must be two different cores of {sorted(cores)}")

    repo_root = Path(__file__).resolve().parent.parent
    echo_port, h2c_port, nginx_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "HTTP_PORT": str(echo_port),
        "H2C_PORT": str(h2c_port),
        "POD_NAME": "bench-echo",
        "NAMESPACE": "bench",
        "PYTHONPATH": str(repo_root),
    }
    echo_rates: list[float] = []
    nginx_rates: list[float] = []
    seconds = max(1, args.duration // args.rounds)
    with tempfile.TemporaryDirectory(prefix="echo-bench-nginx-") as prefix_dir:
        prefix = Path(prefix_dir)
        (prefix / "nginx.conf").write_text(nginx_config(prefix, nginx_port))
        echo = subprocess.Popen(
            [sys.executable, "-m", "harness.echo", "--bind", "127.0.0.1"],
            env=env,
            stdout=subprocess.DEVNULL,  # every request still costs its log write, as upstream
            stderr=subprocess.DEVNULL,
            preexec_fn=pinned(args.server_core),
        )
        nginx = subprocess.Popen(
            ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "error.log"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=pinned(args.server_core),
        )
        try:
            wait_for_port(echo_port, echo, "echo server")
            wait_for_port(nginx_port, nginx, f"nginx (see its log {prefix}/error.log)")
            # Short warm-ups, then alternating rounds so a change in background load on the
            # shared machine hits both servers alike.
            run_wrk(args.client_core, echo_port, args.path, args.connections, 1)
            run_wrk(args.client_core, nginx_port, "/", args.connections, 1)
            for _ in range(args.rounds):
                echo_rates.append(
                    run_wrk(args.client_core, echo_port, args.path, args.connections, seconds)
                )
                nginx_rates.append(
                    run_wrk(args.client_core, nginx_port, "/", args.connections, seconds)
                )
        finally:
            stop(echo)
            stop(nginx, signal.SIGQUIT)  # nginx's graceful shutdown
    echo_rate = statistics.median(echo_rates)
    nginx_rate = statistics.median(nginx_rates)
    ratio = echo_rate / nginx_rate if nginx_rate else 0.0
    print(
        f"connections={args.connections} rounds={args.rounds}x{seconds}s "
        f"server_core={args.server_core} client_core={args.client_core}"
    )
    for index, (echo_round, nginx_round) in enumerate(zip(echo_rates, nginx_rates, strict=True)):
        print(
            f"  round {index + 1}: echo {echo_round:10.0f}  nginx {nginx_round:10.0f}  "
            f"ratio {echo_round / nginx_round:.3f}"
        )
    print(f"echo  {args.path!r:>8}: {echo_rate:12.0f} req/s (median)")
    print(f"nginx {'/'!r:>8}: {nginx_rate:12.0f} req/s (median)")
    print(f"ratio echo/nginx: {ratio:.3f} (target >= 0.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
