"""HTTP/2 front end (h2) shared by the HTTP echo (h2c, h2 over TLS) and the gRPC echo."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, cast

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions

from harness.echo.exchange import TLSAssertions
from harness.echo.http1 import ConnectionRegistry, remote_address
from harness.echo.tls_state import tls_assertions

__all__ = ["H2Protocol", "StreamHandler", "StreamReply", "StreamRequest", "StreamResult"]

HeaderList = list[tuple[bytes, bytes]]


@dataclass
class StreamRequest:
    """A complete HTTP/2 request stream."""

    headers: HeaderList
    body: bytes
    remote_addr: str
    tls: TLSAssertions | None


@dataclass
class StreamReply:
    """What to send on a stream: optional 1xx heads, a head, a body, optional trailers."""

    headers: HeaderList
    body: bytes = b""
    trailers: HeaderList | None = None
    informational: list[HeaderList] = field(default_factory=list)
    reset: bool = False  # reset the stream (INTERNAL_ERROR) instead of answering


StreamResult = StreamReply | Coroutine[Any, Any, StreamReply]
StreamHandler = Callable[[StreamRequest], StreamResult]


class H2Protocol(asyncio.Protocol):
    """One HTTP/2 server connection; each finished request stream goes to the handler."""

    def __init__(self, handler: StreamHandler, registry: ConnectionRegistry) -> None:
        self._handler = handler
        self._registry = registry
        config = h2.config.H2Configuration(client_side=False, header_encoding=None)
        self._conn = h2.connection.H2Connection(config=config)
        self._transport: asyncio.Transport | None = None
        self._remote = ""
        self._tls: TLSAssertions | None = None
        self._headers: dict[int, HeaderList] = {}
        self._bodies: dict[int, list[bytes]] = {}
        self._window_waiters: dict[int, asyncio.Future[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        self._remote = remote_address(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            self._tls = tls_assertions(ssl_object)
        self._registry.open.add(self)
        self._conn.initiate_connection()
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._registry.open.discard(self)
        for waiter in self._window_waiters.values():
            if not waiter.done():
                waiter.cancel()
        for task in self._tasks:
            task.cancel()

    def shutdown(self) -> None:
        """Send GOAWAY and close (graceful stop of the server)."""
        if self._closed or self._transport is None:
            return
        self._conn.close_connection()
        self._flush()
        self._transport.close()

    def data_received(self, data: bytes) -> None:
        if self._closed:
            return
        try:
            events = self._conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self._flush()
            self._close()
            return
        for event in events:
            self._on_event(event)
        self._flush()

    def _on_event(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived):
            self._headers[event.stream_id] = list(event.headers or [])
            self._bodies[event.stream_id] = []
            if event.stream_ended is not None:
                self._dispatch(event.stream_id)
        elif isinstance(event, h2.events.DataReceived):
            stream_id = event.stream_id
            if event.data:
                self._bodies.setdefault(stream_id, []).append(event.data)
            if event.flow_controlled_length:
                self._conn.acknowledge_received_data(event.flow_controlled_length, stream_id)
            if event.stream_ended is not None:
                self._dispatch(stream_id)
        elif isinstance(event, h2.events.WindowUpdated):
            self._wake_senders()
        elif isinstance(event, h2.events.StreamReset):
            self._headers.pop(event.stream_id, None)
            self._bodies.pop(event.stream_id, None)
            waiter = self._window_waiters.pop(event.stream_id, None)
            if waiter is not None and not waiter.done():
                waiter.cancel()
        elif isinstance(event, h2.events.ConnectionTerminated):
            self._close()

    def _dispatch(self, stream_id: int) -> None:
        headers = self._headers.pop(stream_id, None)
        if headers is None:
            return
        body = b"".join(self._bodies.pop(stream_id, []))
        try:
            result = self._handler(StreamRequest(headers, body, self._remote, self._tls))
        except Exception:
            # Like Go recovering a handler panic: this stream fails, the connection lives.
            result = StreamReply(headers=[], reset=True)
        if isinstance(result, StreamReply) and self._try_send_now(stream_id, result):
            return
        task = asyncio.get_running_loop().create_task(self._answer(stream_id, result))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _try_send_now(self, stream_id: int, reply: StreamReply) -> bool:
        """Send a reply that fits the flow-control windows; False if it must wait."""
        if reply.body and self._conn.local_flow_control_window(stream_id) < len(reply.body):
            return False
        if reply.body and self._conn.max_outbound_frame_size < len(reply.body):
            return False
        self._send_head(stream_id, reply)
        if reply.reset:
            return True
        if reply.body:
            self._conn.send_data(stream_id, reply.body, end_stream=reply.trailers is None)
        if reply.trailers is not None:
            self._conn.send_headers(stream_id, reply.trailers, end_stream=True)
        return True

    def _send_head(self, stream_id: int, reply: StreamReply) -> None:
        if reply.reset:
            self._conn.reset_stream(stream_id, h2.errors.ErrorCodes.INTERNAL_ERROR)
            return
        for head in reply.informational:
            self._conn.send_headers(stream_id, head)
        no_body = not reply.body and reply.trailers is None
        self._conn.send_headers(stream_id, reply.headers, end_stream=no_body)

    async def _answer(self, stream_id: int, result: StreamResult) -> None:
        try:
            reply = result if isinstance(result, StreamReply) else await result
        except asyncio.CancelledError:
            return
        except Exception:
            reply = StreamReply(headers=[], reset=True)
        if self._closed:
            return
        try:
            self._send_head(stream_id, reply)
            self._flush()
            if reply.reset:
                return
            body = reply.body
            while body:
                window = min(
                    self._conn.local_flow_control_window(stream_id),
                    self._conn.max_outbound_frame_size,
                )
                if window <= 0:
                    waiter = asyncio.get_running_loop().create_future()
                    self._window_waiters[stream_id] = waiter
                    await waiter
                    continue
                chunk, body = body[:window], body[window:]
                last = not body and reply.trailers is None
                self._conn.send_data(stream_id, chunk, end_stream=last)
                self._flush()
            if reply.trailers is not None:
                self._conn.send_headers(stream_id, reply.trailers, end_stream=True)
            self._flush()
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            self._flush()
        except asyncio.CancelledError:
            return

    def _wake_senders(self) -> None:
        waiters, self._window_waiters = self._window_waiters, {}
        for waiter in waiters.values():
            if not waiter.done():
                waiter.set_result(None)

    def _flush(self) -> None:
        data = self._conn.data_to_send()
        if data and self._transport is not None and not self._closed:
            self._transport.write(data)

    def _close(self) -> None:
        if self._transport is not None and not self._closed:
            self._closed = True
            self._transport.close()
