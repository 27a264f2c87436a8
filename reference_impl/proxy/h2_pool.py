"""Pooled HTTP/2 connections to backends: concurrent requests share a connection as streams.

A connection per request cost a TCP (and maybe TLS) handshake plus the HTTP/2 preface and
SETTINGS exchange every time; here each (endpoint, backend TLS) keeps connections that carry up
to MAX_STREAMS_PER_CONNECTION streams at once (fewer if the backend's SETTINGS say so), and
idle ones are closed after IDLE_TIMEOUT.

A stream the backend provably did not process (it was above a GOAWAY's last stream id, or was
reset with REFUSED_STREAM) is sent once more on another connection when the request body sent
so far is still at hand; any other failure reaches the caller as UpstreamError.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Protocol, cast

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from reference_impl.proxy.backend_tls import BackendTLSError, verify_peer
from reference_impl.proxy.body import BodyStream
from reference_impl.proxy.upstream import (
    CONNECT_TIMEOUT,
    UpstreamError,
    UpstreamTLSError,
    open_connection,
)
from reference_impl.routing_table import BackendTLS, Endpoint

Headers = list[tuple[str, str]]
PoolKey = tuple[str, int, BackendTLS | None]

MAX_STREAMS_PER_CONNECTION = 100
IDLE_TIMEOUT = 60.0
REPLAY_LIMIT = 1024 * 1024  # request bytes kept per stream, for one resend of a refused stream


class ResponseSink(Protocol):
    """Where the backend's answer goes, piece by piece."""

    def on_response(self, status: int, headers: Headers, ended: bool) -> None:
        """Response headers; `ended` when they also end the stream (trailers-only)."""

    def on_data(self, data: bytes) -> None:
        """A piece of the response body."""

    def on_end(self, trailers: Headers | None) -> None:
        """The response ended (with trailers, or none)."""


class StreamRefused(UpstreamError):
    """The backend did not process the stream: sending it again cannot act twice."""


class H2Stream:
    """One request/response exchange on a pooled connection."""

    def __init__(self, conn: H2Upstream, stream_id: int, sink: ResponseSink) -> None:
        self.conn = conn
        self.id = stream_id
        self.sink = sink
        self.responded = False  # response headers arrived
        self.local_closed = False  # the request went out whole (END_STREAM), or was reset
        self.reset_sent = False
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.window = asyncio.Event()  # set whenever a WINDOW_UPDATE may have opened room

    def finish(self) -> None:
        """The response is complete."""
        self.conn.streams.pop(self.id, None)
        if not self.finished.done():
            self.finished.set_result(None)

    def fail(self, exc: UpstreamError) -> None:
        """The exchange cannot complete."""
        self.conn.streams.pop(self.id, None)
        if not self.finished.done():
            self.finished.set_exception(exc)
        self.window.set()  # a sender waiting for room must wake up and stop


class H2Upstream(asyncio.Protocol):
    """One client HTTP/2 connection to a backend, carrying many streams."""

    def __init__(self, pool: H2Pool, key: PoolKey) -> None:
        self.pool = pool
        self.key = key
        self.h2 = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        )
        self.transport: asyncio.Transport | None = None
        self.streams: dict[int, H2Stream] = {}
        self.closed = False
        self.draining = False  # GOAWAY received or stream ids used up: no new streams
        self.loop = asyncio.get_running_loop()
        self.idle_since = self.loop.time()
        self.writable: asyncio.Future[None] | None = None  # set while the transport is paused
        # the backend's first SETTINGS (its stream limit, window sizes) before the first stream
        self.settled: asyncio.Future[None] = self.loop.create_future()

    # ----------------------------------------------------------- protocol callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop transports are not subclasses
        self.h2.initiate_connection()
        self.flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool.forget(self)
        if not self.settled.done():
            self.settled.set_exception(UpstreamError(f"backend closed the connection: {exc}"))
        self._fail_all(UpstreamError(f"backend closed the HTTP/2 connection: {exc}"))
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)

    def pause_writing(self) -> None:
        if self.writable is None or self.writable.done():
            self.writable = self.loop.create_future()

    def resume_writing(self) -> None:
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)

    def data_received(self, data: bytes) -> None:
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            self._fail_all(UpstreamError(f"HTTP/2 protocol error from the backend: {exc}"))
            self.flush()
            self.close()
            return
        for ev in events:
            self._event(ev)
        self.flush()

    def _event(self, ev: h2.events.Event) -> None:
        if isinstance(ev, h2.events.DataReceived):
            if ev.flow_controlled_length:
                with contextlib.suppress(h2.exceptions.StreamClosedError):
                    self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            stream = self.streams.get(ev.stream_id)
            if stream is not None and ev.data:
                self._deliver(stream, stream.sink.on_data, ev.data)
        elif isinstance(ev, h2.events.ResponseReceived):
            stream = self.streams.get(ev.stream_id)
            if stream is None:
                return
            status = 0
            headers: Headers = []
            for name, value in ev.headers:
                if str(name) == ":status":
                    status = int(value)
                else:
                    headers.append((str(name), str(value)))
            stream.responded = True
            ended = ev.stream_ended is not None
            self._deliver(stream, stream.sink.on_response, status, headers, ended)
            if ended:
                stream.finish()
        elif isinstance(ev, h2.events.TrailersReceived):
            stream = self.streams.get(ev.stream_id)
            if stream is not None:
                trailers = [(str(n), str(v)) for n, v in ev.headers]
                self._deliver(stream, stream.sink.on_end, trailers)
                stream.finish()
        elif isinstance(ev, h2.events.StreamEnded):
            stream = self.streams.get(ev.stream_id)
            if stream is None:
                return
            if stream.responded:
                self._deliver(stream, stream.sink.on_end, None)
                stream.finish()
            else:
                stream.fail(UpstreamError("backend ended the stream without response headers"))
        elif isinstance(ev, h2.events.StreamReset):
            stream = self.streams.get(ev.stream_id)
            if stream is not None:
                stream.reset_sent = True  # nothing to reset any more
                if ev.error_code == h2.errors.ErrorCodes.REFUSED_STREAM and not stream.responded:
                    stream.fail(StreamRefused("backend refused the stream"))
                else:
                    stream.fail(UpstreamError(f"backend reset the stream (code {ev.error_code})"))
        elif isinstance(ev, h2.events.WindowUpdated):
            if ev.stream_id == 0:
                for stream in self.streams.values():
                    stream.window.set()
            elif (stream := self.streams.get(ev.stream_id)) is not None:
                stream.window.set()
        elif isinstance(ev, h2.events.RemoteSettingsChanged):
            if not self.settled.done():
                self.settled.set_result(None)
            # a larger initial window opens room on every stream
            if h2.settings.SettingCodes.INITIAL_WINDOW_SIZE in ev.changed_settings:
                for stream in self.streams.values():
                    stream.window.set()
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.draining = True
            last = ev.last_stream_id if ev.last_stream_id is not None else 0
            for stream in list(self.streams.values()):
                if stream.id > last:
                    stream.fail(StreamRefused("backend sent GOAWAY before the stream"))
            if not self.streams:
                self.close()

    def _deliver(self, stream: H2Stream, call: Callable[..., None], *args: object) -> None:
        """Run a sink callback; a failing sink ends its own stream, never the connection."""
        if stream.finished.done():
            return  # given up on (cancelled): nobody listens any more
        try:
            call(*args)
        except Exception as exc:
            stream.fail(UpstreamError(f"relaying the response failed: {exc}"))
            self.reset(stream, h2.errors.ErrorCodes.CANCEL)

    def _fail_all(self, exc: UpstreamError) -> None:
        for stream in list(self.streams.values()):
            stream.fail(exc)

    # ------------------------------------------------------------------ sending

    def flush(self) -> None:
        """Write what the HTTP/2 state machine has queued."""
        data = self.h2.data_to_send()
        if data and self.transport is not None and not self.closed:
            self.transport.write(data)

    def close(self) -> None:
        """Close the connection (its streams fail)."""
        self.draining = True
        if self.transport is not None and not self.closed:
            self.transport.close()

    def has_room(self) -> bool:
        """Whether a new stream may start here now."""
        if self.closed or self.draining:
            return False
        limit = min(self.h2.remote_settings.max_concurrent_streams, MAX_STREAMS_PER_CONNECTION)
        return len(self.streams) < limit

    def open_stream(self, headers: Headers, sink: ResponseSink, body: bytes | None) -> H2Stream:
        """Send request headers on a new stream, and `body` too when flow control has room.

        With body None, or a body too large for the window, the stream stays open for
        send_data; `local_closed` says whether the request went out whole.
        """
        try:
            stream_id = self.h2.get_next_available_stream_id()
        except h2.exceptions.NoAvailableStreamIDError:
            self.draining = True
            raise StreamRefused("stream ids of this connection are used up") from None
        self.h2.send_headers(stream_id, headers, end_stream=body == b"")
        stream = H2Stream(self, stream_id, sink)
        self.streams[stream_id] = stream
        if body == b"":
            stream.local_closed = True
        elif body is not None:
            room = min(
                self.h2.local_flow_control_window(stream_id), self.h2.max_outbound_frame_size
            )
            if len(body) <= room:
                # the common unary call: HEADERS and DATA leave in one write
                self.h2.send_data(stream_id, body, end_stream=True)
                stream.local_closed = True
        self.idle_since = self.loop.time()
        self.flush()
        return stream

    async def send_data(self, stream: H2Stream, data: bytes) -> None:
        """Send request body bytes within flow control (waits for WINDOW_UPDATE)."""
        view = memoryview(data)
        while view:
            if stream.finished.done():
                return  # answered or failed: nothing more to send
            room = min(
                self.h2.local_flow_control_window(stream.id), self.h2.max_outbound_frame_size
            )
            if room <= 0:
                stream.window.clear()
                await stream.window.wait()
                continue
            self.h2.send_data(stream.id, bytes(view[:room]))
            view = view[room:]
            self.flush()
            if self.writable is not None and not self.writable.done():
                await self.writable

    def end_stream(self, stream: H2Stream) -> None:
        """The request body is complete."""
        if stream.local_closed or stream.finished.done():
            return
        stream.local_closed = True
        self.h2.end_stream(stream.id)
        self.flush()

    def reset(self, stream: H2Stream, code: h2.errors.ErrorCodes) -> None:
        """Abandon a stream (a no-op on one the backend already closed)."""
        self.streams.pop(stream.id, None)
        stream.local_closed = True
        if not stream.reset_sent:
            stream.reset_sent = True
            with contextlib.suppress(h2.exceptions.ProtocolError):
                self.h2.reset_stream(stream.id, code)
            self.flush()


class _Replay:
    """The streamed request body sent so far, while small enough to send again."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.usable = True

    def keep(self, chunk: bytes) -> None:
        if not self.usable:
            return
        self.size += len(chunk)
        if self.size > REPLAY_LIMIT:
            self.usable = False
            self.chunks = []
        else:
            self.chunks.append(chunk)


class H2Pool:
    """Per (endpoint, backend TLS): HTTP/2 connections with room for more streams."""

    def __init__(self) -> None:
        self.conns: dict[PoolKey, list[H2Upstream]] = {}
        self.connecting: dict[PoolKey, asyncio.Task[H2Upstream]] = {}

    async def exchange(
        self,
        endpoint: Endpoint,
        tls: BackendTLS | None,
        headers: Headers,
        body: bytes | BodyStream,
        sink: ResponseSink,
    ) -> None:
        """Send one request and relay its response to `sink`; UpstreamError when it fails.

        The request body goes out while the response comes back (streaming both ways).
        """
        if isinstance(body, BodyStream):
            whole = body.take_whole()  # a request that already arrived whole needs no sender
            if whole is not None:
                body = whole
        replay = _Replay()
        for attempt in range(2):
            conn = await self.acquire(endpoint, tls)
            try:
                await self._run(conn, headers, body, sink, replay)
                return
            except StreamRefused:
                if attempt or not replay.usable:
                    raise
            except h2.exceptions.ProtocolError as exc:
                raise UpstreamError(f"HTTP/2 exchange failed: {exc}") from exc
        raise AssertionError("unreachable")

    async def _run(
        self,
        conn: H2Upstream,
        headers: Headers,
        body: bytes | BodyStream,
        sink: ResponseSink,
        replay: _Replay,
    ) -> None:
        stream = conn.open_stream(headers, sink, body if isinstance(body, bytes) else None)
        sender: asyncio.Task[None] | None = None
        if not stream.local_closed:
            sender = asyncio.get_running_loop().create_task(
                self._send_body(conn, stream, body, replay)
            )
        try:
            await stream.finished
        finally:
            if sender is not None and not sender.done():
                sender.cancel()  # the backend answered (or failed) before the request ended
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await sender
            answered = (
                stream.finished.done()
                and not stream.finished.cancelled()
                and stream.finished.exception() is None
            )
            if not answered:
                conn.reset(stream, h2.errors.ErrorCodes.CANCEL)  # we gave up: the backend may too
            elif not stream.local_closed:
                # answered before the request ended: say so with NO_ERROR (RFC 9113 8.1)
                conn.reset(stream, h2.errors.ErrorCodes.NO_ERROR)
            conn.streams.pop(stream.id, None)
            if not conn.streams:
                conn.idle_since = conn.loop.time()
                if conn.draining:
                    conn.close()

    async def _send_body(
        self,
        conn: H2Upstream,
        stream: H2Stream,
        body: bytes | BodyStream,
        replay: _Replay,
    ) -> None:
        try:
            if isinstance(body, bytes):
                await conn.send_data(stream, body)
            else:
                for sent in replay.chunks:  # a refused first try: what it sent goes out again
                    await conn.send_data(stream, sent)
                while (chunk := await body.read()) is not None:
                    replay.keep(chunk)
                    await conn.send_data(stream, chunk)
            if not stream.finished.done():
                conn.end_stream(stream)
        except (h2.exceptions.ProtocolError, OSError) as exc:
            stream.fail(UpstreamError(f"sending the request failed: {exc}"))
            conn.reset(stream, h2.errors.ErrorCodes.CANCEL)

    async def acquire(self, endpoint: Endpoint, tls: BackendTLS | None) -> H2Upstream:
        """A connection with room for one more stream (opened when none has)."""
        key: PoolKey = (endpoint.ip, endpoint.port, tls)
        while True:
            for conn in self.conns.get(key, ()):
                if conn.has_room():
                    return conn
            task = self.connecting.get(key)
            if task is None:
                task = asyncio.get_running_loop().create_task(self._connect(endpoint, tls))
                self.connecting[key] = task
                task.add_done_callback(self._connected)
            # shielded: a caller that gives up must not cancel the connect others wait for
            conn = await asyncio.shield(task)
            if conn.has_room():
                return conn

    def _connected(self, task: asyncio.Task[H2Upstream]) -> None:
        for key, pending in list(self.connecting.items()):
            if pending is task:
                del self.connecting[key]
        if not task.cancelled():
            task.exception()  # retrieved here too: every waiter may have given up

    async def _connect(self, endpoint: Endpoint, tls: BackendTLS | None) -> H2Upstream:
        key: PoolKey = (endpoint.ip, endpoint.port, tls)
        where = f"{endpoint.ip}:{endpoint.port}"
        transport, conn = await open_connection(
            lambda: H2Upstream(self, key), endpoint, tls, ("h2",)
        )
        if tls is not None:
            sslobj = transport.get_extra_info("ssl_object")
            try:
                verify_peer(tls, sslobj.getpeercert(binary_form=True) if sslobj else None)
            except BackendTLSError as exc:
                conn.close()
                raise UpstreamTLSError(f"backend TLS verification failed: {exc}") from exc
        try:
            # streams wait for the backend's limits, so that a burst is not refused
            await asyncio.wait_for(asyncio.shield(conn.settled), CONNECT_TIMEOUT)
        except TimeoutError:
            conn.close()
            raise UpstreamError(f"{where} sent no HTTP/2 SETTINGS") from None
        self.conns.setdefault(key, []).append(conn)
        return conn

    def forget(self, conn: H2Upstream) -> None:
        """Drop a closed connection."""
        conns = self.conns.get(conn.key)
        if conns and conn in conns:
            conns.remove(conn)
            if not conns:
                del self.conns[conn.key]

    def prune(self, keep: set[tuple[str, int]]) -> None:
        """Close connections to endpoints that no table entry names any more (once idle)."""
        for key, conns in list(self.conns.items()):
            if (key[0], key[1]) in keep:
                continue
            for conn in list(conns):
                conn.draining = True
                if not conn.streams:
                    conn.close()

    def reap_idle(self, now: float) -> None:
        """Close connections without streams for longer than IDLE_TIMEOUT."""
        for conns in list(self.conns.values()):
            for conn in list(conns):
                if not conn.streams and now - conn.idle_since > IDLE_TIMEOUT:
                    conn.close()
