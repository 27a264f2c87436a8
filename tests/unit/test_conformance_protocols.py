"""h2c prior knowledge and websocket echo against small loopback servers started here."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator

import h2.config
import h2.connection
import h2.events
import pytest
import wsproto
import wsproto.events

from harness.conformance.http_client import HttpRequest, send
from harness.conformance.timeouts import TimeoutConfig
from harness.conformance.traffic import Traffic

FAST = TimeoutConfig().with_values({"DefaultPollInterval": 0.001, "MaxTimeToConsistency": 5})


def _serve_h2c(conn_sock: socket.socket) -> None:
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    conn_sock.sendall(conn.data_to_send())
    while True:
        data = conn_sock.recv(65536)
        if not data:
            return
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.RequestReceived):
                headers = {k.decode(): v.decode() for k, v in event.headers}
                body = json.dumps(
                    {
                        "path": headers[":path"],
                        "host": headers[":authority"],
                        "method": headers[":method"],
                        "proto": "HTTP/2.0",
                        "headers": {k: [v] for k, v in headers.items() if not k.startswith(":")},
                        "namespace": "gateway-conformance-infra",
                        "pod": "infra-backend-v1-abc-def",
                    }
                ).encode()
                conn.send_headers(
                    event.stream_id,
                    [(":status", "200"), ("content-type", "application/json")],
                )
                conn.send_data(event.stream_id, body, end_stream=True)
        conn_sock.sendall(conn.data_to_send())


def _serve_ws(conn_sock: socket.socket) -> None:
    ws = wsproto.WSConnection(wsproto.ConnectionType.SERVER)
    while True:
        data = conn_sock.recv(65536)
        if not data:
            return
        ws.receive_data(data)
        for event in ws.events():
            if isinstance(event, wsproto.events.Request):
                conn_sock.sendall(ws.send(wsproto.events.AcceptConnection()))
            elif isinstance(event, wsproto.events.TextMessage):
                conn_sock.sendall(ws.send(wsproto.events.TextMessage(data=event.data)))
            elif isinstance(event, wsproto.events.CloseConnection):
                conn_sock.sendall(ws.send(event.response()))
                return


@pytest.fixture
def server() -> Iterator[object]:
    listeners: list[socket.socket] = []

    def start(handler: object) -> str:
        sock = socket.create_server(("127.0.0.1", 0))
        listeners.append(sock)

        def loop() -> None:
            while True:
                try:
                    conn, _ = sock.accept()
                except OSError:
                    return
                threading.Thread(target=_handle, args=(handler, conn), daemon=True).start()

        threading.Thread(target=loop, daemon=True).start()
        return f"127.0.0.1:{sock.getsockname()[1]}"

    yield start
    for sock in listeners:
        sock.close()


def _handle(handler: object, conn: socket.socket) -> None:
    with conn, contextlib.suppress(OSError):
        handler(conn)  # type: ignore[operator]


def test_h2c_prior_knowledge(server: object) -> None:
    address = server(_serve_h2c)  # type: ignore[operator]
    response = send(
        address, HttpRequest("/h2c?x=1", host="example.com", protocol="H2C_PRIOR_KNOWLEDGE")
    )
    assert response.status == 200
    assert response.protocol == "HTTP/2.0"
    assert response.echo is not None
    assert response.echo["host"] == "example.com"
    assert response.echo["headers"]["x-echo-set-header"] == [""]
    Traffic(address, FAST).get("/h2c", protocol="H2C_PRIOR_KNOWLEDGE").must_be_served_by(
        "infra-backend-v1", protocol="HTTP/2.0"
    )


def test_websocket_echo(server: object) -> None:
    address = server(_serve_ws)  # type: ignore[operator]
    assert (
        Traffic(address, FAST).websocket_echo("/ws", "Websocket Support!") == "Websocket Support!"
    )
