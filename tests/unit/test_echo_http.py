"""The echo server's HTTP/1.1, h2c and websocket behaviour, checked over loopback sockets."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator

import h2.config
import h2.connection
import h2.events
import pytest
from wsproto import WSConnection
from wsproto.connection import ConnectionType
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Request,
    TextMessage,
)

from harness.echo import BackgroundEchoServer, EchoConfig, PodContext

pytestmark = pytest.mark.timeout(60)

CONTEXT = PodContext(namespace="ns-a", ingress="ing", service="svc", pod="infra-backend-v1-abc")


@pytest.fixture(scope="module")
def echo() -> Iterator[BackgroundEchoServer]:
    config = EchoConfig(context=CONTEXT, http_port="0", h2c_port="0", bind_host="127.0.0.1")
    with BackgroundEchoServer(config) as server:
        yield server


def get(
    port: int, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def raw_exchange(port: int, data: bytes, *, wait_for_close: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if not wait_for_close:
                break
        return b"".join(chunks)


def test_echo_json_fields_and_go_header_casing(echo: BackgroundEchoServer) -> None:
    port = echo.ports["http"]
    response, body = get(
        port, "/some/path?b=2&a=1", {"x-custom-HEADER": "v1", "X-Echo-Set-Header": ""}
    )
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    data = json.loads(body)
    assert list(data) == [
        "path",
        "host",
        "method",
        "proto",
        "headers",
        "httpPort",
        "namespace",
        "ingress",
        "service",
        "pod",
    ]
    assert data["path"] == "/some/path?b=2&a=1"
    assert data["host"] == f"127.0.0.1:{port}"
    assert data["method"] == "GET"
    assert data["proto"] == "HTTP/1.1"
    assert data["headers"]["X-Custom-Header"] == ["v1"]
    assert data["headers"]["X-Echo-Set-Header"] == [""]
    assert "Host" not in data["headers"]
    assert data["httpPort"] == str(port)
    assert (data["namespace"], data["ingress"], data["service"], data["pod"]) == (
        "ns-a",
        "ing",
        "svc",
        "infra-backend-v1-abc",
    )
    # Go's MarshalIndent: one-space indent, sorted header names, HTML-safe escapes.
    assert body.startswith(b'{\n "path": "/some/path?b=2\\u0026a=1",\n "host"')
    assert list(data["headers"]) == sorted(data["headers"])


def test_repeated_request_headers_keep_every_value(echo: BackgroundEchoServer) -> None:
    request = (
        b"GET /multi HTTP/1.1\r\nHost: example.com\r\nx-dup: one\r\nX-DUP: two\r\n"
        b"Connection: close\r\n\r\n"
    )
    answer = raw_exchange(echo.ports["http"], request)
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["headers"]["X-Dup"] == ["one", "two"]
    assert body["host"] == "example.com"


def test_status_endpoint_and_its_400(echo: BackgroundEchoServer) -> None:
    port = echo.ports["http"]
    assert get(port, "/status/503")[0].status == 503
    assert get(port, "/status/204")[0].status == 204
    # The status is read from the whole request URI, so a query makes it invalid.
    assert get(port, "/status/200?x=1")[0].status == 400
    assert get(port, "/status/abc")[0].status == 400
    redirect, _ = get(port, "/status")
    assert redirect.status == 301
    assert redirect.getheader("Location") == "/status/"


def test_health_and_slash_collapse(echo: BackgroundEchoServer) -> None:
    port = echo.ports["http"]
    response, body = get(port, "/health")
    assert (response.status, body) == (200, b"OK")
    response, body = get(port, "//health")
    assert (response.status, body) == (200, b"OK")
    response, body = get(port, "/a//b")
    assert response.status == 200
    assert json.loads(body)["path"] == "/a//b"


def test_delay_parameter_waits_and_bad_delay_is_500(echo: BackgroundEchoServer) -> None:
    port = echo.ports["http"]
    started = time.monotonic()
    response, body = get(port, "/delayed?delay=300ms")
    assert response.status == 200
    assert time.monotonic() - started >= 0.3
    assert json.loads(body)["path"] == "/delayed?delay=300ms"
    response, body = get(port, "/x?delay=soon")
    assert response.status == 500
    assert json.loads(body) == {"message": 'time: invalid duration "soon"'}


def test_x_echo_set_header_sets_response_headers(echo: BackgroundEchoServer) -> None:
    request = (
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"
        b"X-Echo-Set-Header: X-Foo: one, x-bar:two\r\n"
        b"X-Echo-Set-Header: X-Foo:three\r\n\r\n"
    )
    head = raw_exchange(echo.ports["http"], request).split(b"\r\n\r\n", 1)[0].decode()
    lines = head.split("\r\n")
    assert "X-Foo: one,three" in lines
    assert "x-bar: two" in lines  # the name's case is kept as sent


def test_retry_counts_per_uuid_then_echoes(echo: BackgroundEchoServer) -> None:
    port = echo.ports["http"]
    path = "/retry/a?uuid=status-uuid&succeedAfter=2&responseCode=503"
    assert get(port, path)[0].status == 503
    assert get(port, path)[0].status == 503
    response, body = get(port, path)
    assert response.status == 200
    assert json.loads(body)["path"] == path
    # Another uuid has its own counter.
    assert get(port, "/retry/a?uuid=other&succeedAfter=1&responseCode=502")[0].status == 502


def test_retry_resets_the_connection_by_default(echo: BackgroundEchoServer) -> None:
    port = echo.ports["http"]
    path = "/retry/x?uuid=reset-uuid&succeedAfter=1"
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        get(port, path)
    response, _ = get(port, path)
    assert response.status == 200


def test_retry_delay_retry_waits_before_failing(echo: BackgroundEchoServer) -> None:
    port = echo.ports["http"]
    path = "/retry/d?uuid=delay-uuid&succeedAfter=1&responseCode=500&delayRetry=200ms"
    started = time.monotonic()
    assert get(port, path)[0].status == 500
    assert time.monotonic() - started >= 0.2  # the failing attempt was delayed
    assert get(port, path)[0].status == 200


def test_retry_needs_uuid_and_succeed_after(echo: BackgroundEchoServer) -> None:
    port = echo.ports["http"]
    response, body = get(port, "/retry/x?succeedAfter=1")
    assert (response.status, body) == (400, b"uuid is required")
    response, body = get(port, "/retry/x?uuid=u")
    assert (response.status, body) == (400, b"succeedAfter is required")


def test_keep_alive_and_pipelined_requests_answer_in_order(echo: BackgroundEchoServer) -> None:
    request = b"GET /first?delay=50ms HTTP/1.1\r\nHost: h\r\n\r\n"
    request += b"GET /second HTTP/1.1\r\nHost: h\r\n\r\n"
    request += b"GET /third HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    answer = raw_exchange(echo.ports["http"], request)
    assert answer.count(b"HTTP/1.1 200 OK") == 3
    assert answer.index(b'"/first?delay=50ms"') < answer.index(b'"/second"')
    assert answer.index(b'"/second"') < answer.index(b'"/third"')


def test_malformed_request_gets_400_and_server_survives(echo: BackgroundEchoServer) -> None:
    port = echo.ports["http"]
    answer = raw_exchange(port, b"GARBAGE\x00\x01 nonsense\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    answer = raw_exchange(port, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"missing required Host header" in answer
    assert get(port, "/still-alive")[0].status == 200


def test_echo_logs_the_mirror_line(
    echo: BackgroundEchoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    get(echo.ports["http"], "/mirror?gateway-api-conformance-request-id=abc")
    out = capsys.readouterr().out
    assert "Echoing back request made to /mirror?gateway-api-conformance-request-id=abc " in out
    assert "to client (127.0.0.1:" in out


def test_websocket_echo(echo: BackgroundEchoServer) -> None:
    ws = WSConnection(ConnectionType.CLIENT)
    with socket.create_connection(("127.0.0.1", echo.ports["http"]), timeout=10) as sock:
        sock.sendall(
            ws.send(Request(host="h", target="/ws", extra_headers=[(b"Origin", b"http://h/")]))
        )
        events: list[object] = []

        def pump() -> None:
            ws.receive_data(sock.recv(65536))
            events.extend(ws.events())

        pump()
        assert isinstance(events[0], AcceptConnection)
        sock.sendall(ws.send(TextMessage(data="hello websocket")))
        sock.sendall(ws.send(BytesMessage(data=b"\x00\x01binary")))
        while sum(isinstance(e, TextMessage | BytesMessage) for e in events) < 2:
            pump()
        messages = [e for e in events if isinstance(e, TextMessage | BytesMessage)]
        assert messages[0].data == "hello websocket"
        assert messages[1].data == b"\x00\x01binary"
        sock.sendall(ws.send(CloseConnection(code=1000)))
        pump()
        assert any(isinstance(e, CloseConnection) for e in events)


def test_websocket_without_origin_is_forbidden(echo: BackgroundEchoServer) -> None:
    request = (
        b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    assert raw_exchange(echo.ports["http"], request).startswith(b"HTTP/1.1 403 Forbidden")


def h2c_get(
    port: int, path: str, extra: list[tuple[str, str]] | None = None
) -> tuple[dict[str, str], bytes]:
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    headers = [(":method", "GET"), (":path", path), (":scheme", "http")]
    headers += [(":authority", "h2c.example"), *(extra or [])]
    conn.send_headers(1, headers, end_stream=True)
    response_headers: dict[str, str] = {}
    body = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(conn.data_to_send())
        done = False
        while not done:
            data = sock.recv(65536)
            assert data, "connection closed before the response ended"
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    response_headers = {
                        k.decode() if isinstance(k, bytes) else k: v.decode()
                        if isinstance(v, bytes)
                        else v
                        for k, v in event.headers
                    }
                elif isinstance(event, h2.events.DataReceived):
                    body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, 1)
                elif isinstance(event, h2.events.StreamEnded):
                    done = True
            sock.sendall(conn.data_to_send())
    return response_headers, body


def test_h2c_prior_knowledge_echo(echo: BackgroundEchoServer) -> None:
    headers, body = h2c_get(echo.ports["h2c"], "/h2c?x=1", [("x-test", "a"), ("cookie", "a=1")])
    assert headers[":status"] == "200"
    assert headers["content-type"] == "application/json"
    data = json.loads(body)
    assert data["proto"] == "HTTP/2.0"
    assert data["host"] == "h2c.example"
    assert data["path"] == "/h2c?x=1"
    assert data["headers"]["X-Test"] == ["a"]
    assert data["httpPort"] == str(echo.ports["http"])


def test_h2c_port_refuses_plain_http1(echo: BackgroundEchoServer) -> None:
    response, body = get(echo.ports["h2c"], "/")
    assert (response.status, body) == (400, b"Expected h2c request")
    response, body = get(echo.ports["h2c"], "/", {"Upgrade": "h2c", "Connection": "Upgrade"})
    assert response.status == 200
    assert json.loads(body)["proto"] == "HTTP/1.1"
