"""The websocket echo behind ``/ws``: every received message is sent back (wsproto frames)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import TYPE_CHECKING

from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from harness.echo.log_lines import log_line

if TYPE_CHECKING:
    from harness.echo.http1 import ConnectionRegistry

__all__ = ["WebSocketEcho", "accept_response"]

_WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_response(key: str) -> bytes:
    """The 101 answer to a websocket handshake with Sec-WebSocket-Key key."""
    accept = base64.b64encode(hashlib.sha1(key.encode() + _WEBSOCKET_GUID).digest())
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )


class WebSocketEcho(asyncio.Protocol):
    """Echo each message back as it arrives; answer pings; close when the peer closes."""

    def __init__(
        self, transport: asyncio.Transport, remote: str, registry: ConnectionRegistry
    ) -> None:
        self._transport = transport
        self._registry = registry
        self._ws = Connection(ConnectionType.SERVER)
        registry.open.add(self)
        log_line(f"established websocket connection {remote}")

    def data_received(self, data: bytes) -> None:
        try:
            self._ws.receive_data(data)
            for event in self._ws.events():
                self._on_event(event)
        except (LocalProtocolError, RemoteProtocolError):
            self._transport.close()

    def _on_event(self, event: object) -> None:
        # Fragments are echoed as they come, each with its own final flag.
        if isinstance(event, TextMessage):
            self._send(TextMessage(data=event.data, message_finished=event.message_finished))
        elif isinstance(event, BytesMessage):
            self._send(BytesMessage(data=event.data, message_finished=event.message_finished))
        elif isinstance(event, Ping):
            self._send(event.response())
        elif isinstance(event, CloseConnection):
            self._send(event.response())
            self._transport.close()

    def _send(self, event: object) -> None:
        self._transport.write(self._ws.send(event))  # type: ignore[arg-type]

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._registry.open.discard(self)

    def shutdown(self) -> None:
        """Close the connection (graceful stop of the server)."""
        self._transport.close()
