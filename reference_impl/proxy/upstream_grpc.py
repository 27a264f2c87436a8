"""Streaming gRPC exchanges with backends: request frames out and response frames back as they come.

One fresh HTTP/2 connection per call (h2c, or h2 over TLS with Backend.tls). The request body is
sent while the response is relayed, so client-, server- and bidirectional streaming calls work;
trailers (`grpc-status`, `grpc-message`) end the relayed response.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

import h2.config
import h2.connection
import h2.events
import h2.exceptions

from reference_impl.proxy.body import BodyStream
from reference_impl.proxy.upstream import UpstreamError
from reference_impl.proxy.upstream_h2c import open_h2
from reference_impl.routing_table import BackendTLS, Endpoint

Headers = list[tuple[str, str]]

_DROP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "te",
    }
)


class ResponseSink(Protocol):
    """Where the backend's answer goes, piece by piece."""

    def on_response(self, status: int, headers: Headers, ended: bool) -> None:
        """Response headers; `ended` when they also end the stream (trailers-only)."""

    def on_data(self, data: bytes) -> None:
        """A piece of the response body."""

    def on_end(self, trailers: Headers | None) -> None:
        """The response ended (with trailers, or none)."""


class _Call:
    """The client side of one HTTP/2 stream on its own connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        )
        self.sid = 0
        self.window = asyncio.Event()

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.writer.write(data)

    async def send_body(self, body: bytes | BodyStream) -> None:
        """Send the request body within flow control, then end the stream."""
        if isinstance(body, bytes):
            await self._send(body)
        else:
            while (chunk := await body.read()) is not None:
                await self._send(chunk)
        self.conn.end_stream(self.sid)
        self.flush()

    async def _send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            window = min(
                self.conn.local_flow_control_window(self.sid), self.conn.max_outbound_frame_size
            )
            if window <= 0:
                self.window.clear()
                await self.window.wait()
                continue
            self.conn.send_data(self.sid, bytes(view[:window]))
            view = view[window:]
            self.flush()
            await self.writer.drain()


async def grpc_exchange(
    endpoint: Endpoint,
    method: str,
    target: str,
    authority: str,
    headers: Headers,
    body: bytes | BodyStream,
    tls: BackendTLS | None,
    sink: ResponseSink,
) -> None:
    """Run one call; UpstreamError before the response headers, else the sink sees the end.

    An error after the headers raises UpstreamError too; the caller then aborts the client
    stream (the response cannot be taken back).
    """
    reader, writer = await open_h2(endpoint, tls)
    call = _Call(reader, writer)
    conn = call.conn
    sender: asyncio.Task[None] | None = None
    try:
        conn.initiate_connection()
        call.sid = conn.get_next_available_stream_id()
        out = [
            (":method", method),
            (":scheme", "http" if tls is None else "https"),
            (":authority", authority),
            (":path", target),
        ]
        out.extend((n.lower(), v) for n, v in headers if n.lower() not in _DROP)
        out.append(("te", "trailers"))  # gRPC servers may insist; the client's was hop-by-hop
        conn.send_headers(call.sid, out, end_stream=False)
        call.flush()
        sender = asyncio.get_running_loop().create_task(call.send_body(body))
        started = False
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                raise UpstreamError("gRPC backend closed the connection")
            for ev in conn.receive_data(chunk):
                if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == call.sid:
                    status = 0
                    resp: Headers = []
                    for n, v in ev.headers:
                        if str(n) == ":status":
                            status = int(v)
                        else:
                            resp.append((str(n), str(v)))
                    started = True
                    sink.on_response(status, resp, ev.stream_ended is not None)
                    if ev.stream_ended is not None:
                        return
                elif isinstance(ev, h2.events.DataReceived) and ev.stream_id == call.sid:
                    conn.acknowledge_received_data(ev.flow_controlled_length, call.sid)
                    sink.on_data(ev.data)
                elif isinstance(ev, h2.events.TrailersReceived) and ev.stream_id == call.sid:
                    sink.on_end([(str(n), str(v)) for n, v in ev.headers])
                    return
                elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == call.sid:
                    if started:
                        sink.on_end(None)
                        return
                    raise UpstreamError("gRPC backend ended the stream without headers")
                elif isinstance(ev, h2.events.WindowUpdated):
                    call.window.set()
                elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == call.sid:
                    raise UpstreamError(f"gRPC backend reset the stream (code {ev.error_code})")
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    raise UpstreamError("gRPC backend ended the connection")
            call.flush()
            if sender.done() and sender.exception() is not None:
                raise UpstreamError(f"sending the request failed: {sender.exception()}")
    except (h2.exceptions.ProtocolError, OSError) as exc:
        raise UpstreamError(f"gRPC exchange failed: {exc}") from exc
    finally:
        if sender is not None and not sender.done():
            sender.cancel()  # the backend answered before the client finished sending
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
        if isinstance(body, BodyStream) and not body.done:
            body.abandon()
        writer.close()
