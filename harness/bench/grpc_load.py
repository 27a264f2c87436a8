"""Closed-loop gRPC and TLS-handshake load from client threads, latency in HDR histograms.

locust has no gRPC or raw-TLS user, so these two loads run grpcio channels or `ssl` sockets
in threads. Both are bound by one Python process (the GIL): the result says so when that
process, not the target, was the limit.
"""

from __future__ import annotations

import dataclasses
import socket
import ssl
import threading
import time
from collections.abc import Callable

import psutil
from hdrh.histogram import HdrHistogram

from harness.load.latency_histogram import SecondHistograms, SecondLatency

LOWEST_US, HIGHEST_US, DIGITS = 1, 60_000_000, 3


@dataclasses.dataclass(frozen=True)
class ThreadLoadResult:
    """Completed operations, errors, per-second counts and latency percentiles (microseconds)."""

    completed: int
    errors: int
    duration_s: float
    per_second: tuple[int, ...]
    p50_us: int
    p90_us: int
    p99_us: int
    p999_us: int
    histogram_b64: str
    client_cpu_cores: float
    # the percentiles of each second's successful operations, seconds as in per_second
    latency_per_second: tuple[SecondLatency, ...] = ()

    @property
    def rate(self) -> float:
        return self.completed / self.duration_s if self.duration_s else 0.0

    @property
    def generator_bound(self) -> bool:
        # One Python process: near a full core means the client, not the target, was the limit.
        return self.client_cpu_cores >= 0.9


def run_threads(
    operation_factory: Callable[[], Callable[[], None]], threads: int, duration_s: float
) -> ThreadLoadResult:
    """Run `threads` loops of operation() for `duration_s`; each thread builds its own op."""
    if threads < 1 or not duration_s > 0:
        raise ValueError("threads must be >= 1 and duration_s > 0")
    lock = threading.Lock()
    histogram = HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)
    seconds: dict[int, int] = {}
    latency_by_second = SecondHistograms()
    errors = [0]
    start = time.monotonic()
    deadline = start + duration_s
    barrier = threading.Barrier(threads + 1)

    def loop() -> None:
        op = operation_factory()
        barrier.wait()
        while True:
            t0 = time.monotonic()
            if t0 >= deadline:
                return
            try:
                op()
            except Exception:  # every failure of the target counts as an error
                with lock:
                    errors[0] += 1
                continue
            t1 = time.monotonic()
            with lock:
                histogram.record_value(max(LOWEST_US, min(HIGHEST_US, int((t1 - t0) * 1e6))))
                second = int(t1 - start)
                seconds[second] = seconds.get(second, 0) + 1
                latency_by_second.record(second, t1 - t0)

    workers = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    me = psutil.Process()
    me.cpu_percent(None)
    # Set before the barrier opens, so every thread reads the final start and deadline.
    start = time.monotonic()
    deadline = start + duration_s
    barrier.wait()
    for w in workers:
        w.join(timeout=duration_s + 30)
    elapsed = time.monotonic() - start
    cpu = me.cpu_percent(None) / 100.0
    count = histogram.get_total_count()
    last = int(elapsed)
    return ThreadLoadResult(
        completed=count,
        errors=errors[0],
        duration_s=elapsed,
        per_second=tuple(seconds.get(s, 0) for s in range(last + 1)),
        p50_us=int(histogram.get_value_at_percentile(50)),
        p90_us=int(histogram.get_value_at_percentile(90)),
        p99_us=int(histogram.get_value_at_percentile(99)),
        p999_us=int(histogram.get_value_at_percentile(99.9)),
        histogram_b64=histogram.encode().decode(),
        client_cpu_cores=cpu,
        latency_per_second=latency_by_second.summaries(),
    )


def grpc_echo_call(address: str, authority: str) -> Callable[[], Callable[[], None]]:
    """A factory of unary GrpcEcho/Echo calls over one keep-alive h2c channel per thread."""
    import grpc

    from harness.echo.grpc_proto import SERVICE, EchoRequest, EchoResponse

    def factory() -> Callable[[], None]:
        options = [("grpc.enable_http_proxy", 0), ("grpc.default_authority", authority)]
        channel = grpc.insecure_channel(address, options=options)
        stub = channel.unary_unary(
            f"/{SERVICE}/Echo",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=EchoResponse.FromString,
        )

        def call() -> None:
            stub(EchoRequest(), timeout=10)

        return call

    return factory


def tls_handshake(
    host: str, port: int, server_name: str, ca_file: str
) -> Callable[[], Callable[[], None]]:
    """A factory of new TCP connections that complete a verified TLS handshake, then close."""

    def factory() -> Callable[[], None]:
        context = ssl.create_default_context(cafile=ca_file)

        def handshake() -> None:
            with (
                socket.create_connection((host, port), timeout=10) as raw,
                context.wrap_socket(raw, server_hostname=server_name),
            ):
                pass

        return handshake

    return factory
