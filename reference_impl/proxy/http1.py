"""HTTP/1.1 client connections: parse, route, forward, relay; upgrades are tunnelled."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import http
import logging
from dataclasses import dataclass
from typing import cast

import httptools

from reference_impl.proxy.body import BodyStream
from reference_impl.proxy.filters import Headers
from reference_impl.proxy.forwarder import (
    H2C,
    ResponseWriter,
    body_length,
    error_response,
    response_headers,
    send_simple,
)
from reference_impl.proxy.plan import Forward, IncomingRequest
from reference_impl.proxy.tls import SNI_ATTRIBUTE
from reference_impl.proxy.upstream import (
    UpstreamConnection,
    decode_headers,
    request_head,
)
from reference_impl.proxy.worker_state import WorkerState

log = logging.getLogger("reference_impl.proxy")

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024  # buffered bodies; streamed ones are not limited
STREAM_THRESHOLD = 64 * 1024  # larger (or chunked) bodies are streamed to the backend
IDLE_TIMEOUT = 60.0  # keep-alive connection without a request
REQUEST_READ_TIMEOUT = 30.0  # a request that started arriving but is not complete
_MAX_QUEUED = 32
_H2_PREFACE = b"PRI * HTTP/2.0\r\n"
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "host",
        "content-length",
        "expect",
        "http2-settings",
    }
)
# the same names as bytes: the parser callbacks sort headers without decoding twice
_SPECIAL = frozenset(name.encode() for name in _HOP_BY_HOP)
_REASONS = {s.value: s.phrase for s in http.HTTPStatus}


_STATUS_LINES = {
    code: f"HTTP/1.1 {code} {phrase}\r\n".encode() for code, phrase in _REASONS.items()
}


def status_line(status: int) -> bytes:
    """`HTTP/1.1 <code> <reason>`."""
    line = _STATUS_LINES.get(status)
    return line if line is not None else f"HTTP/1.1 {status} Unknown\r\n".encode()


@dataclass(slots=True)
class ParsedRequest:
    """One complete request off the wire."""

    method: str
    target: str
    headers: Headers
    special: list[tuple[bytes, str]]
    forward: Headers
    body: bytes | BodyStream
    keep_alive: bool
    http10: bool
    upgrade: bool


class _BadRequest:
    """Queue marker: answer 400 and close after the requests before it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class H1Writer:
    """ResponseWriter for one HTTP/1.1 exchange."""

    __slots__ = ("chunked", "conn", "head", "held", "http10", "keep_alive", "no_body", "started")

    def __init__(self, conn: Http1Connection, keep_alive: bool, head: bool, http10: bool) -> None:
        self.conn = conn
        self.keep_alive = keep_alive
        self.head = head
        self.http10 = http10
        self.started = False
        self.chunked = False
        self.no_body = head
        self.held = b""

    def start(self, status: int, headers: Headers, content_length: int | None) -> None:
        text = "".join([f"{name}: {value}\r\n" for name, value in headers])
        self.start_block(status, text.encode("latin-1", "replace"), content_length)

    def start_block(self, status: int, block: bytes, content_length: int | None) -> None:
        """Like start, with the header lines already serialized."""
        self.started = True
        parts = [status_line(status), block]
        if status in (204, 304) or 100 <= status < 200:
            self.no_body = True
        elif content_length is not None:
            parts.append(b"Content-Length: %d\r\n" % content_length)
        elif self.http10:
            self.keep_alive = False
        elif not self.head:
            self.chunked = True
            parts.append(b"Transfer-Encoding: chunked\r\n")
        if not self.keep_alive:
            parts.append(b"Connection: close\r\n")
        parts.append(b"\r\n")
        # held back so that head and (often the whole) body leave in one write
        self.held = b"".join(parts)

    def body(self, chunk: bytes) -> None:
        if self.no_body or not chunk:
            return
        if self.chunked:
            chunk = b"%x\r\n%b\r\n" % (len(chunk), chunk)
        if self.held:
            chunk = self.held + chunk
            self.held = b""
        conn = self.conn
        if not conn.closed and conn.transport is not None:  # conn.write, inlined
            conn.writes.write(conn.transport, chunk)

    def end(self, trailers: Headers | None = None) -> None:
        tail = b"0\r\n\r\n" if self.chunked else b""
        if self.held or tail:
            self.conn.write(self.held + tail)
            self.held = b""
        if not self.keep_alive:
            self.conn.close()

    def abort(self) -> None:
        self.conn.close()

    def link(self, upstream: UpstreamConnection | None) -> None:
        self.conn.linked = upstream
        if upstream is not None and self.conn.write_paused:
            upstream.pause_reading()


class Http1Connection(asyncio.Protocol):
    """One client connection speaking HTTP/1.1 (or switching to HTTP/2 by preface/ALPN)."""

    def __init__(self, state: WorkerState, port: int, tls: bool) -> None:
        self.state = state
        self.writes = state.writes  # every write of this connection goes through it, in order
        self.port = port
        self.tls = tls
        self.sni: str | None = None
        self.peer = ""
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.queue: collections.deque[ParsedRequest | _BadRequest] = collections.deque()
        self.task: asyncio.Task[None] | None = None
        self.busy = False
        self.stream: BodyStream | None = None
        self.fast: tuple[Forward, H1Writer, UpstreamConnection] | None = None
        self.closed = False
        self.stop_parsing = False
        self.first_data = True
        self.write_paused = False
        self.linked: UpstreamConnection | None = None
        self.tunnel: asyncio.StreamWriter | None = None
        self.tunnel_buffer: list[bytes] = []
        self.h2: asyncio.Protocol | None = None
        self.loop = asyncio.get_running_loop()
        self.last_activity = self.loop.time()
        self.in_message = False
        self._reset_message()

    def _reset_message(self) -> None:
        self.url = b""
        self.headers: Headers = []
        self.special: list[tuple[bytes, str]] = []  # hop-by-hop and framing headers
        self.forward: Headers = []  # what may go to the backend
        self.body_parts: list[bytes] = []
        self.body_size = 0
        self.head_size = 0

    # ------------------------------------------------------------------ transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop transports are not subclasses
        self.state.connections.add(self)
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if peer else ""
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            self.sni = getattr(ssl_object, SNI_ATTRIBUTE, None)
            if ssl_object.selected_alpn_protocol() == "h2":
                self._switch_to_h2(b"")

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.state.connections.discard(self)
        if self.h2 is not None:
            self.h2.connection_lost(exc)
        if self.task is not None and not self.task.done():
            self.task.cancel()
        if self.fast is not None:
            conn = self.fast[2]
            self.fast = None
            conn.listener = None
            conn.close()
        if self.tunnel is not None:
            self.tunnel.close()

    def pause_writing(self) -> None:
        self.write_paused = True
        if self.linked is not None:
            self.linked.pause_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        if self.linked is not None:
            self.linked.resume_reading()

    def write(self, data: bytes) -> None:
        """Write to the client (at the end of this loop iteration) unless the connection is gone."""
        if not self.closed and self.transport is not None:
            self.writes.write(self.transport, data)

    def close(self) -> None:
        """Close the client connection once what was written has gone out."""
        if not self.closed and self.transport is not None:
            self.closed = True
            self.writes.flush()
            self.transport.close()

    def _switch_to_h2(self, data: bytes) -> None:
        from reference_impl.proxy.http2 import Http2Connection

        assert self.transport is not None
        h2conn = Http2Connection(self.state, self.port, self.tls, self.sni, self.peer)
        self.h2 = h2conn
        h2conn.connection_made(self.transport)
        if data:
            h2conn.data_received(data)

    def data_received(self, data: bytes) -> None:
        self.last_activity = self.loop.time()
        if self.h2 is not None:
            self.h2.data_received(data)
            return
        if self.first_data:
            self.first_data = False
            if (
                data.startswith(_H2_PREFACE[: min(len(data), len(_H2_PREFACE))])
                and data[:3] == b"PRI"
            ):
                self._switch_to_h2(data)
                return
        if self.tunnel is not None:
            self.tunnel.write(data)
            return
        if self.stop_parsing:
            if self.tunnel_buffer is not None:
                self.tunnel_buffer.append(data)
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as upg:
            offset = upg.args[0] if upg.args else len(data)
            self.stop_parsing = True
            self.tunnel_buffer.append(data[offset:])
        except httptools.HttpParserError as exc:
            self._bad(f"malformed request: {exc}")
        if len(self.queue) > _MAX_QUEUED and self.transport is not None:
            self.transport.pause_reading()

    def close_if_idle(self) -> bool:
        """Draining: close now unless a request is in flight; True while still working."""
        h2_busy = self.h2 is not None and bool(getattr(self.h2, "tasks", None))
        if self.busy or self.queue or self.tunnel is not None or h2_busy:
            return True
        self.close()
        return False

    def reap_if_idle(self, now: float) -> None:
        """Close a keep-alive connection idle too long, or one stuck mid-request (408)."""
        if self.busy or self.queue or self.tunnel is not None or self.h2 is not None:
            return
        idle = now - self.last_activity
        if self.in_message and idle > REQUEST_READ_TIMEOUT:
            self.stop_parsing = True
            error_response(
                H1Writer(self, False, False, False), 408, "request not completed in time"
            )
        elif not self.in_message and idle > IDLE_TIMEOUT:
            self.close()

    def _bad(self, reason: str) -> None:
        self.stop_parsing = True
        self.queue.append(_BadRequest(reason))
        self._kick()

    # ------------------------------------------------------------ parser callbacks

    def on_message_begin(self) -> None:
        self.in_message = True
        # _reset_message inlined: this runs for every request
        self.url = b""
        self.headers = []
        self.special = []
        self.forward = []
        self.body_parts = []
        self.body_size = 0
        self.head_size = 0

    def on_url(self, url: bytes) -> None:
        self.url += url
        self.head_size += len(url)
        if self.head_size > MAX_HEADER_BYTES:
            raise httptools.HttpParserError("request line and headers exceed 64 KiB")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_size += len(name) + len(value) + 4
        if self.head_size > MAX_HEADER_BYTES:
            raise httptools.HttpParserError("request headers exceed 64 KiB")
        pair = (name.decode("latin-1"), value.decode("latin-1"))
        self.headers.append(pair)
        lower = name.lower()
        if lower in _SPECIAL:
            self.special.append((lower, pair[1]))
        else:
            self.forward.append(pair)

    def on_headers_complete(self) -> None:
        lengths: set[str] = set()
        chunked = False
        for lower, value in self.special:
            if lower == b"content-length":
                lengths.add(value.strip())
            elif lower == b"transfer-encoding":
                chunked = chunked or "chunked" in value.lower()
            elif lower == b"expect" and value.lower() == "100-continue" and not self.busy:
                self.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if len(lengths) > 1:
            raise httptools.HttpParserError("conflicting Content-Length headers")
        if self.busy or self.queue or self.parser.should_upgrade():
            return
        length = int(lengths.pop()) if lengths else None
        if chunked or (length is not None and length > STREAM_THRESHOLD):
            self._start_streaming(None if chunked else length)

    def _start_streaming(self, length: int | None) -> None:
        """Route on the head and send the body on to the backend as it arrives."""
        stream = BodyStream(length, self._pause_client, self._resume_client)
        self.stream = stream
        try:
            self._dispatch(self._parsed(stream))
        except Exception:
            log.exception("request handling failed")
            self.close()
        if not self.busy:
            stream.abandon()  # answered without the body (404, redirect, ...)

    def _pause_client(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.pause_reading()

    def _resume_client(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()

    def _parsed(self, body: bytes | BodyStream) -> ParsedRequest:
        return ParsedRequest(
            method=self.parser.get_method().decode("latin-1"),
            target=self.url.decode("latin-1"),
            headers=self.headers,
            special=self.special,
            forward=self.forward,
            body=body,
            keep_alive=self.parser.should_keep_alive(),
            http10=self.parser.get_http_version() == "1.0",
            upgrade=self.parser.should_upgrade(),
        )

    def on_body(self, chunk: bytes) -> None:
        if self.stream is not None:
            self.stream.feed(chunk)
            return
        self.body_size += len(chunk)
        if self.body_size > MAX_BODY_BYTES:
            raise httptools.HttpParserError("request body exceeds 64 MiB")
        self.body_parts.append(chunk)

    def on_message_complete(self) -> None:
        self.in_message = False
        if self.stream is not None:
            self.stream.finish()
            self.stream = None
            self._kick()
            return
        req = self._parsed(b"".join(self.body_parts) if self.body_parts else b"")
        if self.busy or self.queue or self.closed:
            self.queue.append(req)
            self._kick()
            return
        # nothing ahead of it: serve at once, without the queue
        try:
            self._dispatch(req)
        except Exception:
            log.exception("request handling failed")
            self.close()

    # ----------------------------------------------------------------- serving

    def _kick(self) -> None:
        if not self.busy:
            self._next()

    def _next(self) -> None:
        """Serve queued requests in order until one needs to wait for a backend."""
        while self.queue and not self.closed and not self.busy:
            item = self.queue.popleft()
            if isinstance(item, _BadRequest):
                writer = H1Writer(self, keep_alive=False, head=False, http10=False)
                error_response(writer, 400, item.reason)
                return
            try:
                self._dispatch(item)
            except Exception:
                log.exception("request handling failed")
                self.close()
                return
        if len(self.queue) <= _MAX_QUEUED // 2 and self.transport is not None and not self.closed:
            self.transport.resume_reading()

    def _dispatch(self, req: ParsedRequest) -> None:
        """Route one request; answer it, or start forwarding it (fast path or a task)."""
        authority = None
        headers = req.forward
        connection_tokens: set[str] | None = None
        for lower, value in req.special:
            if lower == b"host":
                if authority is None:
                    authority = value
            elif lower == b"connection":
                if connection_tokens is None:
                    connection_tokens = set()
                connection_tokens.update(t.strip().lower() for t in value.split(","))
        if connection_tokens:
            headers = [(n, v) for n, v in headers if n.lower() not in connection_tokens]
        target = req.target
        if target.startswith(("http://", "https://")):
            rest = target.split("://", 1)[1]
            slash = rest.find("/")
            authority, target = (rest, "/") if slash == -1 else (rest[:slash], rest[slash:])
        if authority is None:
            if not req.http10:
                error_response(H1Writer(self, False, False, False), 400, "missing Host header")
                return
            authority = ""
        headers.append(("X-Forwarded-For", self.peer))
        headers.append(("X-Forwarded-Proto", "https" if self.tls else "http"))
        incoming = IncomingRequest(
            req.method, target, authority, headers, self.port, self.tls, self.sni
        )
        table = self.state.table
        keep_alive = req.keep_alive and not req.upgrade
        writer = H1Writer(self, keep_alive, req.method == "HEAD", req.http10)
        if table is None:
            error_response(writer, 503, "no routing table yet")
            return
        decision = self.state.routes.plan(table, incoming, self.state.rng)
        if not isinstance(decision, Forward):
            send_simple(writer, decision.status, decision.headers, decision.body)
            return
        if (
            not req.upgrade
            and isinstance(req.body, bytes)
            and self._try_fast(decision, req.body, writer)
        ):
            return
        self.busy = True
        self.task = self.loop.create_task(self._forward_slowly(decision, req, writer))

    # --------------------------------------------------------------- fast path

    def _try_fast(self, d: Forward, body: bytes, writer: H1Writer) -> bool:
        """Plain exchanges on an idle pooled connection run on callbacks, without a task."""
        if d.retry is not None or d.backend.app_protocol == H2C:
            return False
        if d.timeouts is not None and (d.timeouts.request or d.timeouts.backend_request):
            return False
        endpoints = d.backend.endpoints
        endpoint = endpoints[0] if len(endpoints) == 1 else self.state.rng.choice(endpoints)
        conn = self.state.pool.take_idle(endpoint, d.backend.tls)
        if conn is None:
            return False
        if d.mirrors:
            self.state.forwarder.start_mirrors(d.mirrors, body)
        self.busy = True
        self.fast = (d, writer, conn)
        head = request_head(d.method, d.target, d.authority, d.headers, body_length(d.method, body))
        conn.send_with_listener(head, body, d.method == "HEAD", self)
        return True

    def upstream_head(
        self, conn: UpstreamConnection, status: int, raw: list[tuple[bytes, bytes]]
    ) -> None:
        if self.fast is None:
            return
        d, writer, _ = self.fast
        if d.response_modifiers or d.cors_headers is not None:
            out, length = response_headers(d, decode_headers(raw))
            writer.start(status, out, length)
        else:
            block, length = conn.relayed_head()  # nothing to change: relay as bytes
            writer.start_block(status, block, length)
        self.linked = conn  # writer.link(conn), inlined
        if self.write_paused:
            conn.pause_reading()

    def upstream_body(self, chunk: bytes) -> None:
        if self.fast is not None:
            self.fast[1].body(chunk)

    def upstream_done(self, conn: UpstreamConnection) -> None:
        if self.fast is None:
            conn.close()
            return
        _, writer, _ = self.fast
        self.fast = None
        self.linked = None  # writer.link(None), inlined
        conn.release()
        self.busy = False
        writer.end()
        if self.queue:
            self.loop.call_soon(self._next)  # not from inside the backend parser's callback

    def upstream_failed(self, conn: UpstreamConnection, exc: Exception) -> None:
        conn.close()
        if self.fast is None:
            return
        d, writer, _ = self.fast
        self.fast = None
        writer.link(None)
        self.busy = False
        if writer.started:
            writer.abort()
            return
        error_response(writer, 503, f"backend {d.backend.name} failed: {exc}")
        if self.queue:
            self.loop.call_soon(self._next)

    # --------------------------------------------------------------- slow path

    async def _forward_slowly(self, d: Forward, req: ParsedRequest, writer: H1Writer) -> None:
        try:
            if req.upgrade:
                upgrade = next((v for n, v in req.headers if n.lower() == "upgrade"), "")
                await self._tunnel(d, upgrade, writer)
            else:
                await self.state.forwarder.forward(d, req.body, writer)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("request handling failed")
            self.close()
        finally:
            self.busy = False
        if self.queue and not self.closed:
            self._next()

    async def _tunnel(self, d: Forward, upgrade: str, writer: ResponseWriter) -> None:
        """Pass an Upgrade (WebSocket) request through and splice both directions."""
        endpoint = self.state.rng.choice(d.backend.endpoints)
        try:
            reader, up = await asyncio.wait_for(
                asyncio.open_connection(endpoint.ip, endpoint.port), 5
            )
        except (OSError, TimeoutError):
            error_response(writer, 503, f"backend {d.backend.name} unreachable")
            return
        headers = [*d.headers, ("Connection", "Upgrade"), ("Upgrade", upgrade)]
        up.write(request_head(d.method, d.target, d.authority, headers, None))
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            up.close()
            error_response(writer, 502, "backend did not answer the upgrade")
            return
        self.write(head)
        if not head.startswith((b"HTTP/1.1 101", b"HTTP/1.0 101")):
            up.close()
            self.close()
            return
        self.tunnel = up
        for chunk in self.tunnel_buffer:
            if chunk:
                up.write(chunk)
        self.tunnel_buffer = []
        try:
            while not self.closed:
                data = await reader.read(65536)
                if not data:
                    break
                self.write(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(Exception):
                up.close()
            self.close()
