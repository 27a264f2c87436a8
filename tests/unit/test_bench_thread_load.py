"""The threaded gRPC and TLS-handshake load used by the gRPC and TLS benchmarks."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.bench.grpc_load import grpc_echo_call, run_threads, tls_handshake
from harness.cluster.local import pki
from harness.echo import BackgroundEchoServer, EchoConfig


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, str]]:
    """A loopback TLS server that completes handshakes and closes; yields (port, CA file)."""
    ca = pki.make_ca("test-ca")
    leaf = pki.issue(ca, "bench.example", dns_names=("bench.example",), server=True)
    pki.write_pair(tmp_path, "leaf", leaf)
    (tmp_path / "ca.crt").write_bytes(pki.cert_pem(ca))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "leaf.crt", tmp_path / "leaf.key")
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], str(tmp_path / "ca.crt")
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_tls_handshakes_are_counted_per_second(tls_server: tuple[int, str]) -> None:
    port, ca = tls_server
    result = run_threads(tls_handshake("127.0.0.1", port, "bench.example", ca), 2, 1.0)
    assert result.completed > 0
    assert result.errors == 0
    assert sum(result.per_second) == result.completed
    assert 0 < result.p50_us <= result.p99_us
    assert [s.count for s in result.latency_per_second] == [c for c in result.per_second if c]


def test_a_failed_verification_is_an_error_not_a_handshake(tls_server: tuple[int, str]) -> None:
    port, ca = tls_server
    result = run_threads(tls_handshake("127.0.0.1", port, "other.example", ca), 1, 0.5)
    assert result.completed == 0
    assert result.errors > 0


def test_grpc_echo_calls_through_real_channels() -> None:
    config = EchoConfig.from_env(
        {"GRPC_ECHO_SERVER": "1", "HTTP_PORT": "0", "POD_NAME": "p"}, bind_host="127.0.0.1"
    )
    with BackgroundEchoServer(config) as server:
        address = f"127.0.0.1:{server.ports['grpc']}"
        result = run_threads(grpc_echo_call(address, "grpc.example"), 2, 1.0)
    assert result.completed > 0
    assert result.errors == 0
    assert result.rate > 0
    assert sum(s.count for s in result.latency_per_second) == result.completed


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="threads"):
        run_threads(lambda: lambda: None, 0, 1.0)
