"""Setup shared by the performance scenarios: a backend, a Gateway, a certificate, a load run."""

from __future__ import annotations

import base64
import socket
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.bench import BenchContext, ScenarioResult, wait_for_status
from harness.cluster.local import pki
from harness.load import LoadMode, LoadResult, LoadSpec, SecondLatency, TlsSettings, run_load
from harness.results import write_histogram

BENCH_HOST = "bench.example"
CLOSED_LOOP_CONNECTIONS = 32
# Responses a second needs before its percentile becomes a sample: at least one beyond the
# percentile (10 for p90, 100 for p99), and never fewer than 20, below which a second says
# little about any percentile. Slow seconds with fewer are dropped, but their slow responses
# mostly complete in the next second and count there (seconds are by completion time).
MIN_SECOND_RESPONSES = {"p50": 20, "p90": 20, "p99": 100}
# fewer usable seconds than `gwh compare` judges: one whole-run sample instead
MIN_SECOND_SAMPLES = 3


def tls_secret(ctx: BenchContext, namespace: str, name: str = "bench-cert") -> Path:
    """A serving certificate for BENCH_HOST as a TLS Secret; returns the CA file to trust."""
    ca = pki.make_ca("gateway-harness-bench-ca")
    leaf = pki.issue(ca, BENCH_HOST, dns_names=(BENCH_HOST, f"*.{BENCH_HOST}"), server=True)
    ctx.apply(
        [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name},
                "type": "kubernetes.io/tls",
                "data": {
                    "tls.crt": base64.b64encode(pki.cert_pem(leaf)).decode(),
                    "tls.key": base64.b64encode(pki.key_pem(leaf)).decode(),
                },
            }
        ],
        namespace,
    )
    ca_file = Path(tempfile.mkdtemp(prefix="gwh-bench-")) / "ca.crt"
    ca_file.write_bytes(pki.cert_pem(ca))
    return ca_file


def http_listener(name: str, port: int, hostname: str | None = None) -> dict[str, Any]:
    listener: dict[str, Any] = {"name": name, "port": port, "protocol": "HTTP"}
    if hostname:
        listener["hostname"] = hostname
    return listener


def https_listener(name: str, port: int, secret: str) -> dict[str, Any]:
    return {
        "name": name,
        "port": port,
        "protocol": "HTTPS",
        "hostname": BENCH_HOST,
        "tls": {"mode": "Terminate", "certificateRefs": [{"name": secret}]},
    }


def wait_listening(address: str, port: int, timeout: float = 30) -> None:
    """Programmed means "ready soon": wait (bounded) until the listener accepts connections."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((address, port), timeout=2):
                return
        except OSError as e:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{address}:{port} still refuses connections: {e}") from e
            time.sleep(0.05)


def _wait_serving(url: str, host: str) -> None:
    """Programmed means "ready soon": wait (bounded) until the route really answers 200."""
    parts = urlsplit(url)
    if not parts.hostname:
        return
    if parts.scheme == "https":
        wait_listening(parts.hostname, parts.port or 443)
        return
    wait_for_status(
        parts.hostname,
        parts.port or 80,
        parts.path or "/",
        200,
        host_header=host,
        interval=0.05,
        timeout=30,
    )


def closed_loop(
    ctx: BenchContext, url: str, *, host: str = BENCH_HOST, ca_file: Path | None = None
) -> LoadResult:
    _wait_serving(url, host)
    return run_load(
        LoadSpec(
            url=url,
            duration_s=ctx.load_seconds,
            mode=LoadMode.CLOSED,
            connections=CLOSED_LOOP_CONNECTIONS,
            host_header=host,
            tls=TlsSettings(ca_file=ca_file, server_name=host) if ca_file else TlsSettings(),
            expect_status=frozenset({200}),
        )
    )


def open_loop(
    ctx: BenchContext,
    url: str,
    rate: float,
    *,
    host: str = BENCH_HOST,
    seconds: float | None = None,
) -> LoadResult:
    _wait_serving(url, host)
    return run_load(
        LoadSpec(
            url=url,
            duration_s=seconds or ctx.load_seconds,
            mode=LoadMode.OPEN,
            rate=rate,
            connections=64,
            host_header=host,
            expect_status=frozenset({200}),
        )
    )


def per_second_rates(result: LoadResult) -> list[float]:
    """Completed requests of each whole second (the partial first and last seconds dropped)."""
    counts = [s.responses for s in result.time_series]
    inner = counts[1:-1] if len(counts) > 2 else counts
    return [float(c) for c in inner if c > 0]


def per_second_latency_ms(seconds: Sequence[SecondLatency], percentile: str) -> list[float]:
    """One percentile (`p50`, `p90`, `p99`) of each whole second in ms: the partial first and
    last seconds dropped, and seconds with too few responses for it. Empty when fewer than
    MIN_SECOND_SAMPLES seconds remain."""
    least = MIN_SECOND_RESPONSES[percentile]
    samples = [s.percentile_us(percentile) / 1000.0 for s in seconds[1:-1] if s.count >= least]
    return samples if len(samples) >= MIN_SECOND_SAMPLES else []


def record_percentiles(
    result: ScenarioResult,
    stem: str,
    whole_run_us: Mapping[str, int],
    seconds: Sequence[SecondLatency],
) -> None:
    """`{stem}_{pNN}` metrics in ms. The value is the whole-run percentile; the samples are
    the per-second ones (p50/p90/p99), so `gwh compare` can judge them, or the whole-run value
    alone when the run has too few usable seconds (and always for p99.9: per second, noise)."""
    for percentile, value_us in whole_run_us.items():
        whole_ms = value_us / 1000.0
        per_second = (
            per_second_latency_ms(seconds, percentile) if percentile in MIN_SECOND_RESPONSES else []
        )
        result.metric(f"{stem}_{percentile}", "ms", per_second or [whole_ms], value=whole_ms)


def record_load(ctx: BenchContext, result: ScenarioResult, prefix: str, load: LoadResult) -> None:
    """Throughput, latency percentiles and errors of one load run as metrics (per-second
    samples where there are enough, see `record_percentiles`); the raw latency histogram (HDR,
    microseconds) goes to the run folder's `histograms/`."""
    name = f"{result.name}-{prefix}"
    result.histograms[prefix] = write_histogram(ctx.output_dir, name, load.latency_hdr)
    result.metric(
        f"{prefix}_rps", "req/s", per_second_rates(load) or [load.achieved_rate], better="higher"
    )
    lat = load.latency
    record_percentiles(
        result,
        f"{prefix}_latency",
        {"p50": lat.p50_us, "p90": lat.p90_us, "p99": lat.p99_us, "p999": lat.p999_us},
        load.latency_per_second,
    )
    result.metric(f"{prefix}_errors", "count", [float(load.errors)])
    if load.generator_bound:
        result.generator_bound = True
        result.notes.append(
            f"{prefix}: load generator was the limit ({'; '.join(load.generator.reasons)})"
        )
