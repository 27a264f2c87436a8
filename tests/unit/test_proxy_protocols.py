"""The proxy as a process: HTTPS+SNI and 421, HTTP/2 (ALPN, h2c), h2c backends, WebSocket."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
import wsproto
import wsproto.events
from cryptography import x509

from tests.unit.test_proxy_support import (
    EchoBackend,
    ProxyProcess,
    backend_ref,
    free_port,
    h2_request,
    http1,
    http_listener,
    https_listener,
    make_cert,
    route,
    rule,
    running,
    tls_connect,
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, EchoBackend]]:
    found = {
        "v1": EchoBackend("v1"),
        "v2": EchoBackend("v2"),
        "v3": EchoBackend("v3"),
        "h2c": EchoBackend("h2c", h2c=True),
    }
    with running(*found.values()):
        yield found


@pytest.fixture(scope="module")
def proxy() -> Iterator[ProxyProcess]:
    p = ProxyProcess(workers=2)
    yield p
    p.stop()


def https_table(
    port: int, b: dict[str, EchoBackend], certs: dict[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    def one(name: str, host: str | None, route_host: str, backend: str) -> dict[str, Any]:
        return https_listener(
            port,
            [route(name, [rule(0, [backend_ref(b[backend])])], [route_host])],
            host,
            certs[name],
            name,
        )

    return [
        one("https", None, "example.org", "v1"),
        one("second", "second-example.org", "second-example.org", "v2"),
        one("wild", "*.wildcard.org", "*.wildcard.org", "v3"),
    ]


def https_get(port: int, sni: str | None, host: str) -> tuple[int, str, list[str]]:
    """(status, backend or '', DNS names of the certificate served) over HTTPS/1.1."""
    sock = tls_connect(port, sni, ["http/1.1"])
    try:
        der = sock.getpeercert(binary_form=True)
        assert der is not None
        cert = x509.load_der_x509_certificate(der)
        names = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value.get_values_for_type(x509.DNSName)
        sock.sendall(f"GET /tls HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    finally:
        sock.close()
    status = int(data.split(b" ", 2)[1])
    backend = ""
    if status == 200:
        import json

        backend = json.loads(data.split(b"\r\n\r\n", 1)[1])["backend"]
    return status, backend, list(names)


def test_https_sni_certificates_routing_and_421(
    proxy: ProxyProcess, backends: dict[str, EchoBackend]
) -> None:
    port = free_port()
    certs = {
        "https": make_cert(["example.org"]),
        "second": make_cert(["second-example.org"]),
        "wild": make_cert(["*.wildcard.org"]),
    }
    proxy.push(https_table(port, backends, certs))
    status, backend, names = https_get(port, "second-example.org", "second-example.org")
    assert (status, backend, names) == (200, "v2", ["second-example.org"])
    status, backend, names = https_get(port, "a.wildcard.org", "b.wildcard.org")
    assert (status, backend, names) == (200, "v3", ["*.wildcard.org"])
    assert https_get(port, "example.org", "example.org")[:2] == (200, "v1")
    assert https_get(port, "example.org", "second-example.org")[0] == 421
    assert https_get(port, "second-example.org", "example.org")[0] == 421
    assert https_get(port, "example.org", "unknown-example.org")[0] == 404
    assert https_get(port, "unknown-example.org", "example.org")[:2] == (200, "v1")


def test_handshake_fails_when_no_listener_matches_the_sni(
    proxy: ProxyProcess, backends: dict[str, EchoBackend]
) -> None:
    port = free_port()
    cert = make_cert(["only.example"])
    proxy.push(
        [
            https_listener(
                port,
                [route("r", [rule(0, [backend_ref(backends["v1"])])])],
                "only.example",
                cert,
                "only",
            )
        ]
    )
    with pytest.raises((ssl.SSLError, ConnectionError)):
        tls_connect(port, "other.example", ["http/1.1"]).close()
    assert https_get(port, "only.example", "only.example")[:2] == (200, "v1")


def test_http2_over_tls_with_alpn(proxy: ProxyProcess, backends: dict[str, EchoBackend]) -> None:
    port = free_port()
    certs = {
        "https": make_cert(["example.org"]),
        "second": make_cert(["second-example.org"]),
        "wild": make_cert(["*.wildcard.org"]),
    }
    proxy.push(https_table(port, backends, certs))
    sock = tls_connect(port, "second-example.org", ["h2"])
    try:
        assert sock.selected_alpn_protocol() == "h2"
        reply = h2_request(sock, "second-example.org", "/h2?x=1", scheme="https")
        assert reply.status == 200 and reply.json()["backend"] == "v2"
        assert reply.json()["path"] == "/h2?x=1"
    finally:
        sock.close()
    sock = tls_connect(port, "example.org", ["h2"])
    try:
        assert h2_request(sock, "second-example.org", "/h2", scheme="https").status == 421
    finally:
        sock.close()


def test_h2c_prior_knowledge_client_and_h2c_backend(
    proxy: ProxyProcess, backends: dict[str, EchoBackend]
) -> None:
    port = free_port()
    proxy.push(
        [
            http_listener(
                port,
                [
                    route(
                        "r",
                        [
                            rule(
                                0,
                                [backend_ref(backends["v1"])],
                                [{"path": {"type": "PathPrefix", "value": "/h1"}}],
                            ),
                            rule(
                                1,
                                [backend_ref(backends["h2c"], appProtocol="kubernetes.io/h2c")],
                                [{"path": {"type": "PathPrefix", "value": "/h2c"}}],
                            ),
                        ],
                    )
                ],
            )
        ]
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reply = h2_request(sock, "example.com", "/h1/x")
        assert reply.status == 200 and reply.json()["backend"] == "v1"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        # far beyond the initial 64 KiB window: needs WINDOW_UPDATE handling on both sides
        big = h2_request(sock, "example.com", "/h1?pad=300000")
        assert len(big.json()["pad"]) == 300000
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reply = h2_request(sock, "example.com", "/h2c/y?z=1")
        echo = reply.json()
        assert reply.status == 200 and echo["backend"] == "h2c"
        assert echo["headers"]["x-protocol"] == ["h2c"] and echo["path"] == "/h2c/y?z=1"
        assert reply.header("x-trailer") == "done"
    reply = http1(port, "/h2c/over-http1")
    assert reply.status == 200 and reply.json()["headers"]["x-protocol"] == ["h2c"]


def test_websocket_is_tunnelled(proxy: ProxyProcess, backends: dict[str, EchoBackend]) -> None:
    port = free_port()
    proxy.push(
        [
            http_listener(
                port,
                [
                    route(
                        "r",
                        [rule(0, [backend_ref(backends["v1"], appProtocol="kubernetes.io/ws")])],
                    )
                ],
            )
        ]
    )
    ws = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(ws.send(wsproto.events.Request(host="example.com", target="/ws")))
        events: list[Any] = []

        def pump(until: type) -> Any:
            while True:
                for ev in ws.events():
                    events.append(ev)
                    if isinstance(ev, until):
                        return ev
                data = sock.recv(65536)
                assert data, f"connection closed while waiting for {until.__name__}; got {events}"
                ws.receive_data(data)

        pump(wsproto.events.AcceptConnection)
        sock.sendall(ws.send(wsproto.events.TextMessage(data="Websocket Support!")))
        assert pump(wsproto.events.TextMessage).data == "echo:Websocket Support!"
        sock.sendall(ws.send(wsproto.events.BytesMessage(data=bytes(range(1, 8)))))
        assert bytes(pump(wsproto.events.BytesMessage).data) == bytes(range(1, 8))
        sock.sendall(ws.send(wsproto.events.CloseConnection(code=1000)))
