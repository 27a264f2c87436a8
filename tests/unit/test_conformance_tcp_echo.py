"""TCP echo checks against a loopback server speaking the echo TCP protocol."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.conformance import tcp_echo
from harness.conformance.certificates import certificate_authority, leaf
from harness.conformance.http_client import TlsSettings
from harness.conformance.timeouts import TimeoutConfig

FAST = TimeoutConfig().with_values({"DefaultPollInterval": 0.001, "MaxTimeToConsistency": 0.5})


def _session(conn: socket.socket, is_tls: bool) -> None:
    # A client that rejects the certificate hangs up mid-greeting: not a server failure.
    with conn, conn.makefile("rb") as reader, contextlib.suppress(OSError):
        conn.sendall(b"Gateway API Test TCP Server\n")
        for raw in reader:
            command = raw.decode().strip()
            if command == "PING":
                conn.sendall(b"PONG\n")
            elif command == "IS_TLS":
                conn.sendall(b"true\n" if is_tls else b"false\n")
            elif command == "TEST":
                body = {"namespace": "gateway-conformance-infra", "pod": "tcp-backend-5f-x2"}
                conn.sendall(json.dumps(body).encode() + b"\n")


@pytest.fixture
def tcp_server(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """(plain address, TLS address, CA PEM)."""
    ca = certificate_authority()
    cert = leaf(["abc.example.com"], ca)
    (tmp_path / "s.pem").write_text(cert.cert_pem + cert.key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "s.pem")
    plain = socket.create_server(("127.0.0.1", 0))
    secure = socket.create_server(("127.0.0.1", 0))

    def serve(sock: socket.socket, tls: bool) -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            try:
                conn = context.wrap_socket(conn, server_side=True) if tls else conn
            except (OSError, ssl.SSLError):
                conn.close()
                continue
            threading.Thread(target=_session, args=(conn, tls), daemon=True).start()

    for sock, tls in ((plain, False), (secure, True)):
        threading.Thread(target=serve, args=(sock, tls), daemon=True).start()
    yield (
        f"127.0.0.1:{plain.getsockname()[1]}",
        f"127.0.0.1:{secure.getsockname()[1]}",
        ca.cert_pem,
    )
    plain.close()
    secure.close()


def test_plain_and_tls_exchanges(tcp_server: tuple[str, str, str]) -> None:
    plain, secure, ca = tcp_server
    echo = tcp_echo.must_reach(plain, "tcp-backend", "gateway-conformance-infra", FAST)
    assert echo.is_tls == "false" and echo.pod == "tcp-backend-5f-x2"
    tls = TlsSettings("abc.example.com", ca)
    tcp_echo.must_reach(
        secure, "tcp-backend", "gateway-conformance-infra", FAST, tls=tls, backend_sees_tls=True
    )
    with pytest.raises(AssertionError, match="IS_TLS answered 'true', expected false"):
        tcp_echo.must_reach(
            secure,
            "tcp-backend",
            "gateway-conformance-infra",
            FAST,
            tls=tls,
            backend_sees_tls=False,
        )
    with pytest.raises(AssertionError, match="not a pod of 'tcp-backend-v2'"):
        tcp_echo.must_reach(plain, "tcp-backend-v2", "gateway-conformance-infra", FAST)


def test_rejection(tcp_server: tuple[str, str, str]) -> None:
    _, secure, ca = tcp_server
    # A server name the certificate does not cover fails the handshake check: rejected.
    tcp_echo.must_be_rejected(secure, TlsSettings("other.example.com", ca), FAST)
    with pytest.raises(AssertionError, match="kept being accepted"):
        tcp_echo.must_be_rejected(secure, TlsSettings("abc.example.com", ca), FAST)
