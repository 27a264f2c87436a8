"""HTTPRouteBackendProtocolWebSocket: a WebSocket through the Gateway echoes text and binary."""

import socket

import wsproto
import wsproto.events

from harness.conformance.consistency import await_convergence
from harness.conformance.http_client import check_destination, split_address
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig
from harness.conformance.traffic import Traffic

TEXT = "Websocket Support!"
BINARY = bytes([1, 2, 3, 4, 5, 6, 7])


def joined(parts: list[str | bytes]) -> str | bytes:
    """The fragments of one message, as text or bytes like its first fragment."""
    if isinstance(parts[0], str):
        return "".join(str(p) for p in parts)
    return b"".join(p for p in parts if isinstance(p, bytes))


def echo_round(traffic: Traffic, timeouts: TimeoutConfig) -> str | None:
    """One connection to ws://<gateway>/ws: a text then a binary message must come back.

    Local because Traffic.websocket_echo sends text frames only; upstream checks both.
    """
    host, port = split_address(traffic.address)
    check_destination(host, traffic.allowed_networks)
    ws = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    try:
        with socket.create_connection((host, port), timeout=timeouts.RequestTimeout) as sock:
            request = wsproto.events.Request(
                host=traffic.address,
                target="/ws",
                extra_headers=[(b"Origin", b"ws://gateway/HTTPRouteBackendProtocolWebSocket")],
            )
            sock.sendall(ws.send(request))
            pending: list[str | bytes] = [TEXT, BINARY]
            echoed = 0
            parts: list[str | bytes] = []
            while pending:
                data = sock.recv(65536)
                if not data:
                    return f"connection closed after {echoed} echoes"
                ws.receive_data(data)
                for event in ws.events():
                    if isinstance(event, wsproto.events.RejectConnection):
                        return f"upgrade rejected with status {event.status_code}"
                    if isinstance(event, wsproto.events.AcceptConnection):
                        sock.sendall(ws.send(wsproto.events.TextMessage(data=TEXT)))
                    elif isinstance(event, wsproto.events.Message):
                        parts.append(event.data)
                        if not event.message_finished:
                            continue
                        whole = joined(parts)
                        parts.clear()
                        want = pending.pop(0)
                        if whole != want:
                            return f"sent {want!r}, got back {whole!r}"
                        echoed += 1
                        if pending:
                            sock.sendall(ws.send(wsproto.events.BytesMessage(data=BINARY)))
            sock.sendall(ws.send(wsproto.events.CloseConnection(code=1000)))
    except OSError as exc:
        return f"websocket failed: {exc.__class__.__name__}: {exc}"
    return None


@scenario(
    "HTTPRouteBackendProtocolWebSocket",
    features={"Gateway", "HTTPRoute", "HTTPRouteBackendProtocolWebSocket"},
    manifest="test_httproute_backend_protocol_websocket.yaml",
)
def test_httproute_backend_protocol_websocket(
    gateway: GatewayHandle, traffic: Traffic, timeouts: TimeoutConfig
) -> None:
    gateway.route("backend-protocol-ws").must_be_accepted()
    await_convergence(
        lambda: echo_round(traffic, timeouts),
        timeouts,
        what=f"text and binary echo over ws://{traffic.address}/ws",
    )
