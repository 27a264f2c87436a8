"""One port with TLS Passthrough and Terminate listeners (TLSRouteModeMixed), told apart by SNI."""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Iterator

import pytest

from tests.unit.test_proxy_support import ProxyProcess, free_port
from tests.unit.test_proxy_tls_support import (
    TcpPod,
    TestCA,
    rejected,
    talk,
    tcp_backend,
    tls_listener,
    tls_route,
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


@pytest.fixture(scope="module")
def pod(ca: TestCA) -> Iterator[TcpPod]:
    with TcpPod("pod-a", ca.issue(["abc.example.com"])) as found:
        yield found


@pytest.fixture(scope="module")
def mixed_port(ca: TestCA, pod: TcpPod) -> Iterator[int]:
    proxy = ProxyProcess(workers=1)
    port = free_port()
    proxy.push(
        [
            tls_listener(
                port,
                "Passthrough",
                [tls_route("pass", [], [tcp_backend("tls", pod.tls)])],
                hostname="abc.example.com",
                name="pass",
            ),
            tls_listener(
                port,
                "Terminate",
                [tls_route("term", [], [tcp_backend("plain", pod.tcp)])],
                hostname="*.term.test",
                cert=ca.issue(["*.term.test"]),
                name="term",
            ),
        ]
    )
    yield port
    proxy.stop()


def test_sni_of_a_passthrough_listener_reaches_the_backend_handshake(
    mixed_port: int, ca: TestCA
) -> None:
    answer = talk(mixed_port, "abc.example.com", ca.pem)  # verifies the backend's certificate
    assert answer.is_tls
    assert answer.payload["tls"]["serverName"] == "abc.example.com"


def test_sni_of_a_terminate_listener_ends_tls_at_the_proxy(mixed_port: int, ca: TestCA) -> None:
    answer = talk(mixed_port, "x.term.test", ca.pem)  # verifies the listener's certificate
    assert not answer.is_tls
    assert answer.payload["pod"] == "pod-a"


def test_names_no_listener_takes_are_rejected(mixed_port: int) -> None:
    assert not rejected(mixed_port, "abc.example.com")
    assert rejected(mixed_port, "other.example.com")
    assert rejected(mixed_port, None)


def test_not_tls_is_dropped(mixed_port: int) -> None:
    with socket.create_connection(("127.0.0.1", mixed_port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: abc.example.com\r\n\r\n")
        try:
            answer = sock.recv(100)
        except ConnectionResetError:
            answer = b""
    assert answer == b""


def test_a_client_hello_split_across_segments_is_still_routed(mixed_port: int, ca: TestCA) -> None:
    ctx = ssl.create_default_context(cadata=ca.pem)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="y.term.test")
    with socket.create_connection(("127.0.0.1", mixed_port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with pytest.raises(ssl.SSLWantReadError):
            tls.do_handshake()
        hello = outgoing.read()
        sock.sendall(hello[:20])
        time.sleep(0.3)  # the first part is alone in the proxy's receive buffer for a while
        sock.sendall(hello[20:])
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                sock.sendall(outgoing.read())
                data = sock.recv(65536)
                assert data, "the proxy closed the connection during the handshake"
                incoming.write(data)
        sock.sendall(outgoing.read())
        received = b""
        tls.write(b"PING\nIS_TLS\nTEST\n")
        sock.sendall(outgoing.read())
        while received.count(b"\n") < 4:
            try:
                received += tls.read(65536)
            except ssl.SSLWantReadError:
                data = sock.recv(65536)
                assert data, f"closed after {received!r}"
                incoming.write(data)
    lines = received.split(b"\n")
    assert lines[:3] == [b"Gateway API Test TCP Server", b"PONG", b"false"]
    assert json.loads(lines[3])["pod"] == "pod-a"
