"""HTTP/2 client connections (h2c prior knowledge or ALPN h2), one task per stream."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import cast

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions

from reference_impl.proxy.body import BodyStream
from reference_impl.proxy.filters import Headers
from reference_impl.proxy.forwarder import error_response, send_simple
from reference_impl.proxy.plan import Forward, IncomingRequest
from reference_impl.proxy.upstream import UpstreamConnection
from reference_impl.proxy.worker_state import WorkerState

log = logging.getLogger("reference_impl.proxy")

_MAX_BODY = 64 * 1024 * 1024
_PENDING_HIGH = 1024 * 1024
_PENDING_LOW = 256 * 1024
_DROP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "host",
        "te",
        "content-length",
    }
)


def _is_grpc(headers: list[tuple[str, str]]) -> bool:
    for name, value in headers:
        if name == "content-type":
            return value.lower().startswith("application/grpc")
    return False


def _no_pause() -> None:
    """HTTP/2 request data is acknowledged as it arrives; nothing to pause per stream."""


class H2Writer:
    """ResponseWriter for one HTTP/2 stream; buffers data until flow control allows it."""

    def __init__(self, conn: Http2Connection, stream_id: int, head: bool) -> None:
        self.conn = conn
        self.stream_id = stream_id
        self.head = head
        self.started = False
        self.pending = bytearray()
        self.ending = False
        self.done = False
        self.trailers: Headers | None = None
        self.upstream: UpstreamConnection | None = None
        self.upstream_paused = False

    def start(self, status: int, headers: Headers, content_length: int | None) -> None:
        self.started = True
        out = [(":status", str(status))]
        out.extend((n.lower(), v) for n, v in headers if n.lower() not in _DROP)
        if content_length is not None:
            out.append(("content-length", str(content_length)))
        self.conn.send_headers(self.stream_id, out, end_stream=False)

    def trailers_only(self, status: int, headers: Headers) -> None:
        """A response of one HEADERS frame that ends the stream (gRPC status without body)."""
        self.started = True
        self.done = True
        out = [(":status", str(status))]
        out.extend((n.lower(), v) for n, v in headers if n.lower() not in _DROP)
        self.conn.send_headers(self.stream_id, out, end_stream=True)
        self.conn.writers.pop(self.stream_id, None)

    def body(self, chunk: bytes) -> None:
        if self.head or not chunk:
            return
        self.pending += chunk
        self.flush()

    def end(self, trailers: Headers | None = None) -> None:
        self.ending = True
        self.trailers = trailers
        self.flush()

    def flush(self) -> None:
        """Send what flow control allows; finish the stream once everything went out."""
        if self.done:
            return
        self.conn.flush_stream(self)

    def abort(self) -> None:
        self.done = True
        self.conn.reset_stream(self.stream_id)

    def link(self, upstream: UpstreamConnection | None) -> None:
        if upstream is None and self.upstream is not None and self.upstream_paused:
            self.upstream.resume_reading()
        self.upstream = upstream
        self.upstream_paused = False

    def backpressure(self) -> None:
        """Pause the backend while this stream's window leaves too much unsent."""
        if self.upstream is None:
            return
        if len(self.pending) > _PENDING_HIGH and not self.upstream_paused:
            self.upstream_paused = True
            self.upstream.pause_reading()
        elif len(self.pending) < _PENDING_LOW and self.upstream_paused:
            self.upstream_paused = False
            self.upstream.resume_reading()


class Http2Connection(asyncio.Protocol):
    """Server side of one HTTP/2 connection."""

    def __init__(
        self, state: WorkerState, port: int, tls: bool, sni: str | None, peer: str
    ) -> None:
        self.state = state
        self.port = port
        self.tls = tls
        self.sni = sni
        self.peer = peer
        config = h2.config.H2Configuration(
            client_side=False, header_encoding="utf-8", validate_inbound_headers=True
        )
        self.h2 = h2.connection.H2Connection(config=config)
        self.transport: asyncio.Transport | None = None
        self.requests: dict[int, tuple[list[tuple[str, str]], list[bytes]]] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.writers: dict[int, H2Writer] = {}
        self.streams: dict[int, BodyStream] = {}  # gRPC request bodies still arriving
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop transports are not subclasses
        self.h2.initiate_connection()
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        for stream in self.streams.values():
            stream.abandon()
        self.streams.clear()
        for task in self.tasks.values():
            task.cancel()

    def _send(self) -> None:
        data = self.h2.data_to_send()
        if data and self.transport is not None and not self.closed:
            self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            log.debug("HTTP/2 protocol error: %s", exc)
            self._send()
            if self.transport is not None:
                self.transport.close()
            return
        for ev in events:
            if isinstance(ev, h2.events.RequestReceived):
                head = [(str(n), str(v)) for n, v in ev.headers]
                self.requests[ev.stream_id] = (head, [])
                if ev.stream_ended is not None:
                    self._start(ev.stream_id)
                elif _is_grpc(head):
                    # gRPC streams: route at once and stream the request frames to the backend
                    body = BodyStream(None, _no_pause, _no_pause)
                    self.streams[ev.stream_id] = body
                    self._start(ev.stream_id, body)
            elif isinstance(ev, h2.events.DataReceived):
                stream = self.streams.get(ev.stream_id)
                req = self.requests.get(ev.stream_id)
                if stream is not None:
                    stream.feed(ev.data)
                    if stream.buffered > _MAX_BODY:  # the backend does not keep up: give up
                        self.streams.pop(ev.stream_id, None)
                        stream.abandon()
                        self.h2.reset_stream(ev.stream_id, h2.errors.ErrorCodes.ENHANCE_YOUR_CALM)
                elif req is not None:
                    req[1].append(ev.data)
                    if sum(len(part) for part in req[1]) > _MAX_BODY:
                        self.requests.pop(ev.stream_id, None)
                        self.h2.reset_stream(ev.stream_id, h2.errors.ErrorCodes.REFUSED_STREAM)
                self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                stream = self.streams.pop(ev.stream_id, None)
                if stream is not None:
                    stream.finish()
                elif ev.stream_id not in self.tasks:
                    self._start(ev.stream_id)
            elif isinstance(ev, h2.events.StreamReset):
                stream = self.streams.pop(ev.stream_id, None)
                if stream is not None:
                    stream.abandon()
                task = self.tasks.pop(ev.stream_id, None)
                if task is not None:
                    task.cancel()
                self.writers.pop(ev.stream_id, None)
            elif isinstance(ev, h2.events.WindowUpdated):
                targets = (
                    list(self.writers.values())
                    if ev.stream_id == 0
                    else [self.writers[ev.stream_id]]
                    if ev.stream_id in self.writers
                    else []
                )
                for w in targets:
                    w.flush()
            elif isinstance(ev, h2.events.ConnectionTerminated) and self.transport is not None:
                self.transport.close()
        self._send()

    def _start(self, stream_id: int, stream: BodyStream | None = None) -> None:
        task = asyncio.get_running_loop().create_task(self._handle(stream_id, stream))
        self.tasks[stream_id] = task
        task.add_done_callback(lambda _t: self.tasks.pop(stream_id, None))

    # ------------------------------------------------------------ stream output

    def send_headers(
        self, stream_id: int, headers: list[tuple[str, str]], end_stream: bool
    ) -> None:
        """Send response headers unless the stream is gone."""
        try:
            self.h2.send_headers(stream_id, headers, end_stream=end_stream)
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            return
        self._send()

    def flush_stream(self, w: H2Writer) -> None:
        """Move a writer's pending bytes out within the flow-control window."""
        try:
            while w.pending:
                window = min(
                    self.h2.local_flow_control_window(w.stream_id), self.h2.max_outbound_frame_size
                )
                if window <= 0:
                    break
                piece = bytes(w.pending[:window])
                del w.pending[:window]
                self.h2.send_data(w.stream_id, piece)
            w.backpressure()
            if w.ending and not w.pending:
                if w.trailers:
                    self.h2.send_headers(
                        w.stream_id, [(n.lower(), v) for n, v in w.trailers], end_stream=True
                    )
                else:
                    self.h2.end_stream(w.stream_id)
                w.done = True
                self.writers.pop(w.stream_id, None)
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            w.done = True
            self.writers.pop(w.stream_id, None)
        self._send()

    def reset_stream(self, stream_id: int) -> None:
        """Abort one stream."""
        with contextlib.suppress(h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            self.h2.reset_stream(stream_id, h2.errors.ErrorCodes.INTERNAL_ERROR)
        self.writers.pop(stream_id, None)
        self._send()

    # ------------------------------------------------------------------ request

    async def _handle(self, stream_id: int, stream: BodyStream | None = None) -> None:
        raw_headers, body_parts = self.requests.pop(stream_id, ([], []))
        pseudo: dict[str, str] = {}
        headers: Headers = []
        cookies: list[str] = []
        authority = None
        for name, value in raw_headers:
            if name.startswith(":"):
                pseudo[name] = value
            elif name == "host":
                authority = authority or value
            elif name == "cookie":
                cookies.append(value)
            elif name not in _DROP:
                headers.append((name, value))
        if cookies:
            headers.append(("cookie", "; ".join(cookies)))
        method = pseudo.get(":method", "GET")
        writer = H2Writer(self, stream_id, method == "HEAD")
        self.writers[stream_id] = writer
        authority = pseudo.get(":authority") or authority or ""
        headers.append(("x-forwarded-for", self.peer))
        headers.append(("x-forwarded-proto", "https" if self.tls else "http"))
        body: bytes | BodyStream = stream if stream is not None else b"".join(body_parts)
        if isinstance(body, bytes) and len(body) > _MAX_BODY:
            error_response(writer, 413, "request body too large")
            return
        incoming = IncomingRequest(
            method, pseudo.get(":path", "/"), authority, headers, self.port, self.tls, self.sni
        )
        table = self.state.table
        if table is None:
            error_response(writer, 503, "no routing table yet")
            return
        try:
            decision = self.state.routes.plan(table, incoming, self.state.rng)
            if not isinstance(decision, Forward):
                if stream is not None:
                    stream.abandon()  # answered by the gateway: the request body is not needed
                if decision.trailers_only:
                    writer.trailers_only(decision.status, decision.headers)
                    return
                send_simple(writer, decision.status, decision.headers, decision.body)
                return
            await self.state.forwarder.forward(decision, body, writer)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("HTTP/2 stream failed")
            if not writer.started:
                error_response(writer, 500, "internal error")
            else:
                writer.abort()
