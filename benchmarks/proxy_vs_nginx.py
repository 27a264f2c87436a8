"""Requests/s of the reference proxy (one worker, one core) beside nginx, both loaded by wrk.

    python benchmarks/proxy_vs_nginx.py [--duration 10] [--connections 64]

Setup, all on 127.0.0.1: an nginx "backend" answering a fixed 200 on a third port; the
reference proxy with ONE worker and nginx as a reverse proxy (one worker, upstream keep-alive)
for the same route to that backend; both proxies pinned to core 0, wrk and the backend to the
other core. Then p50/p99 at half the proxy's max rate, paced by a wrk Lua `delay()`.
Prints the numbers and the proxy/nginx ratio (targets: >= 0.35 and >= 15k req/s).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def need(binary: str, package: str) -> str:
    """The path of a binary, or exit naming the package to install."""
    path = shutil.which(binary)
    if path is None:
        sys.exit(f"{binary} not found; install it (Debian: apt-get install -y {package})")
    return path


def wait_port(port: int, timeout: float = 15) -> None:
    """Wait until something accepts on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def nginx_conf(folder: Path, body: str) -> Path:
    """A self-contained nginx config under folder."""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    keepalive_requests 1000000;
    {body}
}}
"""
    )
    return conf


def start_nginx(nginx: str, folder: Path, body: str, cpu: str) -> subprocess.Popen[bytes]:
    """nginx pinned to a CPU list."""
    folder.mkdir(parents=True, exist_ok=True)
    conf = nginx_conf(folder, body)
    return subprocess.Popen(["taskset", "-c", cpu, nginx, "-c", str(conf), "-p", str(folder)])


def wrk(port: int, duration: int, connections: int, script: Path | None = None) -> dict[str, float]:
    """Run wrk on core 1; requests/s and latency percentiles in ms."""
    cmd = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    cmd.append(f"http://127.0.0.1:{port}/bench")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = float(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    result = {"rps": rps, "requests": total}
    for label, key in (("50%", "p50_ms"), ("99%", "p99_ms")):
        m = re.search(rf"{re.escape(label)}\s+([\d.]+)(us|ms|s)", out)
        if m:
            scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
            result[key] = float(m.group(1)) * scale
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock_err = re.search(r"Socket errors:.*", out)
    result["non_2xx"] = float(errors.group(1)) if errors else 0.0
    if sock_err:
        print(f"  wrk: {sock_err.group(0)}")
    return result


def tree_cpu_seconds(pid: int) -> float:
    """User+system CPU seconds of a process and its children so far."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            t = proc.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            continue
    return total


def measured(pid: int, port: int, duration: int, connections: int) -> dict[str, float]:
    """A max-rate wrk run plus the CPU the server under test spent per request.

    CPU per request is robust to other load on the machine (a shared core lowers req/s,
    not the CPU each request costs); 1e6 / cpu_us_per_req is the rate one whole core would give.
    """
    before = tree_cpu_seconds(pid)
    result = wrk(port, duration, connections)
    spent = tree_cpu_seconds(pid) - before
    result["cpu_us_per_req"] = spent * 1e6 / max(result["requests"], 1.0)
    result["rps_per_core"] = 1e6 / result["cpu_us_per_req"] if result["cpu_us_per_req"] else 0.0
    return result


def paced_script(folder: Path, delay_ms: float) -> Path:
    """A wrk Lua script making each connection wait delay_ms between requests."""
    path = folder / "paced.lua"
    path.write_text(f"function delay()\n  return {delay_ms:.3f}\nend\n")
    return path


def paced(
    folder: Path, port: int, rate: float, connections: int, duration: int
) -> dict[str, float]:
    """wrk at about `rate` req/s: per-connection think time minus the latency seen at that rate."""
    nominal = connections * 1000.0 / rate
    delay = nominal
    for _ in range(2):
        calib = wrk(port, 2, connections, paced_script(folder, delay))
        # each connection sends one request per (delay + latency); keep at least a quarter of
        # the nominal think time so that a noisy calibration cannot remove the pacing
        delay = max(nominal - calib.get("p50_ms", 0.0), nominal / 4)
    return wrk(port, duration, connections, paced_script(folder, delay))


def put_one_route(admin_port: int, listen_port: int, route: dict[str, Any]) -> None:
    """A table with one HTTP listener holding this one route entry, PUT to the proxy."""
    doc = {
        "version": 1,
        "gateway": {"namespace": "bench", "name": "bench"},
        "listeners": [
            {
                "name": "http",
                "port": listen_port,
                "protocol": "HTTP",
                "hostname": None,
                "tls": None,
                "routes": [route],
            }
        ],
    }
    req = urllib.request.Request(
        f"http://127.0.0.1:{admin_port}/config", data=json.dumps(doc).encode(), method="PUT"
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200


def push_table(admin_port: int, listen_port: int, backend_port: int) -> None:
    """One route, one backend."""
    backend = {
        "name": "bench/backend:80",
        "weight": 1,
        "valid": True,
        "endpoints": [{"ip": "127.0.0.1", "port": backend_port}],
    }
    rule = {
        "index": 0,
        "matches": [{"path": {"type": "PathPrefix", "value": "/bench"}}],
        "backends": [backend],
    }
    route = {
        "kind": "HTTPRoute",
        "namespace": "bench",
        "name": "bench",
        "creationTimestamp": "2026-01-01T00:00:00Z",
        "hostnames": [],
        "rules": [rule],
    }
    put_one_route(admin_port, listen_port, route)


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median requests/s."""
    return sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a process we started."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    """Run both measurements and print the comparison."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved max-rate rounds")
    args = parser.parse_args()
    nginx = need("nginx", "nginx-light")
    need("wrk", "wrk")
    need("taskset", "util-linux")
    if (os.cpu_count() or 1) < 2:
        sys.exit("needs 2 CPUs: core 0 for the proxy under test, core 1 for wrk and the backend")
    backend_port, nginx_port, proxy_port, admin_port = (free_port() for _ in range(4))
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="gwh-bench-") as tmp:
        folder = Path(tmp)
        try:
            procs.append(
                start_nginx(
                    nginx,
                    folder / "backend",
                    f"server {{ listen 127.0.0.1:{backend_port};"
                    ' location / { return 200 "ok\\n"; } }',
                    "1",
                )
            )
            nginx_proxy = start_nginx(
                nginx,
                folder / "proxy",
                f"upstream be {{ server 127.0.0.1:{backend_port}; keepalive 128; }}\n"
                f"    server {{ listen 127.0.0.1:{nginx_port}; location /bench {{ proxy_pass http://be;"
                ' proxy_http_version 1.1; proxy_set_header Connection ""; } }',
                "0",
            )
            procs.append(nginx_proxy)
            proxy = subprocess.Popen(
                [
                    "taskset", "-c", "0", sys.executable, "-m", "reference_impl.proxy",
                    "--admin-address", f"127.0.0.1:{admin_port}", "--workers", "1",
                    "--listen-address", "127.0.0.1",
                ],
                cwd=REPO,
                env=dict(os.environ, PYTHONPATH=str(REPO)),
            )  # fmt: skip
            procs.append(proxy)
            for port in (backend_port, nginx_port, admin_port):
                wait_port(port)
            push_table(admin_port, proxy_port, backend_port)
            wait_port(proxy_port)
            c = args.connections
            load_before = os.getloadavg()
            print(f"warm-up ({c} connections)...")
            wrk(proxy_port, 2, c)
            wrk(nginx_port, 2, c)
            proxy_runs, nginx_runs = [], []
            for i in range(args.rounds):
                # interleaved so that load from elsewhere on the machine hits both alike
                proxy_runs.append(measured(proxy.pid, proxy_port, args.duration, c))
                nginx_runs.append(measured(nginx_proxy.pid, nginx_port, args.duration, c))
                print(
                    f"round {i + 1}: proxy {proxy_runs[-1]['rps']:.0f} req/s "
                    f"({proxy_runs[-1]['cpu_us_per_req']:.0f} CPU-us/req), "
                    f"nginx {nginx_runs[-1]['rps']:.0f} req/s "
                    f"({nginx_runs[-1]['cpu_us_per_req']:.0f} CPU-us/req)"
                )
            proxy_max = median_run(proxy_runs)
            nginx_max = median_run(nginx_runs)
            half = proxy_max["rps"] / 2
            proxy_half = paced(folder, proxy_port, half, c, args.duration)
            nginx_half = paced(folder, nginx_port, half, c, args.duration)
            load_after = os.getloadavg()
        finally:
            for proc in reversed(procs):
                stop(proc)

    def row(name: str, m: dict[str, float]) -> str:
        cpu = m.get("cpu_us_per_req")
        per_core = f"{m['rps_per_core']:>10.0f}" if cpu else f"{'':>10}"
        return (
            f"{name:<40} {m['rps']:>10.0f} {m.get('p50_ms', float('nan')):>9.3f}"
            f" {m.get('p99_ms', float('nan')):>9.3f} {m['non_2xx']:>7.0f}"
            f" {cpu if cpu else float('nan'):>8.1f} {per_core}"
        )

    header = f"{'run':<40} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'non2xx':>7}"
    print(f"\n{header} {'CPU-us/r':>8} {'req/s/core':>10}")
    print(row("reference proxy, 1 worker, max (median)", proxy_max))
    print(row("nginx, 1 worker, max (median)", nginx_max))
    print(row(f"reference proxy @ ~{half:.0f}/s (paced)", proxy_half))
    print(row(f"nginx @ ~{half:.0f}/s (paced)", nginx_half))
    ratio = proxy_max["rps"] / nginx_max["rps"] if nginx_max["rps"] else 0.0
    cpu_ratio = nginx_max["cpu_us_per_req"] / proxy_max["cpu_us_per_req"]
    print(f"\nproxy/nginx throughput ratio (measured req/s): {ratio:.2f} (target >= 0.35)")
    print(f"proxy/nginx ratio by CPU per request:        {cpu_ratio:.2f}")
    print(f"proxy max: {proxy_max['rps']:.0f} req/s measured, ", end="")
    print(f"{proxy_max['rps_per_core']:.0f} req/s per whole core (target >= 15000)")
    print(f"load average during the run: {load_before} -> {load_after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
