"""HTTP/1.1 connections to backends, pooled per endpoint with keep-alive."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Protocol, TypeVar, cast

import httptools

from reference_impl.proxy.backend_tls import BackendTLSError, client_context, verify_peer
from reference_impl.proxy.write_batch import WriteBatch
from reference_impl.routing_table import BackendTLS, Endpoint

Headers = list[tuple[str, str]]

_IDLE_PER_ENDPOINT = 64
CONNECT_TIMEOUT = 5.0
_P = TypeVar("_P", bound=asyncio.BaseProtocol)


async def open_connection(
    factory: Callable[[], _P],
    endpoint: Endpoint,
    tls: BackendTLS | None,
    alpn: tuple[str, ...],
) -> tuple[asyncio.BaseTransport, _P]:
    """TCP to the endpoint, or TLS offering `alpn` with `tls`; UpstreamError (or
    UpstreamTLSError) names the endpoint when it fails or takes longer than CONNECT_TIMEOUT."""
    loop = asyncio.get_running_loop()
    where = f"{endpoint.ip}:{endpoint.port}"
    try:
        if tls is None:
            connecting = loop.create_connection(factory, endpoint.ip, endpoint.port)
        else:
            connecting = loop.create_connection(
                factory,
                endpoint.ip,
                endpoint.port,
                ssl=client_context(tls, alpn),
                server_hostname=tls.hostname,
            )
        return await asyncio.wait_for(connecting, CONNECT_TIMEOUT)
    except ssl.SSLError as exc:
        raise UpstreamTLSError(f"TLS to {where} failed: {exc}") from exc
    except (OSError, TimeoutError) as exc:
        raise UpstreamError(f"cannot connect to {where}: {exc}") from exc


class BodySink(Protocol):
    """Where response body bytes go."""

    def body(self, chunk: bytes) -> None:
        """One piece of the response body."""


class UpstreamError(Exception):
    """The backend connection failed before a complete response head arrived."""


class UpstreamTLSError(UpstreamError):
    """The TLS handshake with a backend failed or its certificate did not verify (502)."""


class ExchangeListener(Protocol):
    """Callback-style receiver of one exchange (the fast path: no futures, no task)."""

    def upstream_head(
        self, conn: UpstreamConnection, status: int, raw: list[tuple[bytes, bytes]]
    ) -> None:
        """The response head arrived (header names and values as received)."""

    def upstream_body(self, chunk: bytes) -> None:
        """A piece of the response body."""

    def upstream_done(self, conn: UpstreamConnection) -> None:
        """The response is complete."""

    def upstream_failed(self, conn: UpstreamConnection, exc: Exception) -> None:
        """The exchange failed (before or after the head; see conn.head_seen)."""


class UpstreamConnection(asyncio.Protocol):
    """One HTTP/1.1 client connection; one exchange at a time."""

    def __init__(
        self, pool: UpstreamPool, endpoint: Endpoint, tls: BackendTLS | None = None
    ) -> None:
        self.pool = pool
        self.endpoint = endpoint
        self.tls = tls
        self.tls_failure: str | None = None
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.loop = asyncio.get_running_loop()
        self.connected: asyncio.Future[None] = self.loop.create_future()
        self.head: asyncio.Future[tuple[int, Headers]] | None = None
        self.done: asyncio.Future[None] | None = None
        self.sink: BodySink | None = None
        self.pending: list[bytes] = []
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.relayed: list[bytes] = []
        self.relayed_length: int | None = None
        self.relayed_chunked = False
        self.no_body = False
        self.reusable = True
        self.closed = False
        self.used = False
        self.released = False
        self.length_known = False
        self.listener: ExchangeListener | None = None
        self.complete = False
        self.head_seen = False

    # ----------------------------------------------------------- protocol callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop transports are not subclasses
        if self.tls is not None:
            # verified before any byte of the backend can be read
            sslobj = transport.get_extra_info("ssl_object")
            try:
                verify_peer(self.tls, sslobj.getpeercert(binary_form=True) if sslobj else None)
            except BackendTLSError as exc:
                self.tls_failure = str(exc)
                self.closed = True
                self.transport.abort()
                return
        if not self.connected.done():
            self.connected.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool.forget(self)
        if self.listener is not None:
            if self.head_seen and not self.length_known:
                self._finish()  # close-delimited body ends here
            else:
                self._notify_failure(UpstreamError(f"backend closed the connection: {exc}"))
        if not self.connected.done():
            self.connected.set_exception(UpstreamError(f"connect failed: {exc}"))
        if self.head is not None and not self.head.done():
            self.head.set_exception(UpstreamError(f"backend closed the connection: {exc}"))
        if self.done is not None and not self.done.done():
            if self.head is not None and self.head.done() and not self.length_known:
                self.done.set_result(None)  # close-delimited body ends here
            else:
                self.done.set_exception(UpstreamError("backend closed the connection mid-body"))

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamError(f"malformed response from backend: {exc}"))

    def on_message_begin(self) -> None:
        self.raw_headers = []
        self.relayed = []
        self.relayed_length = None
        self.relayed_chunked = False
        self.length_known = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.raw_headers.append((name, value))
        # the relayed block is built here, in the one pass over the headers
        if len(name) not in _NOT_RELAYED_LENGTHS:
            self.relayed += (name, b": ", value, b"\r\n")
            return
        lower = name.lower()
        if lower not in _NOT_RELAYED:
            self.relayed += (name, b": ", value, b"\r\n")
        elif lower == b"content-length":
            self.length_known = True
            try:
                self.relayed_length = int(value)
            except ValueError:
                self.relayed_length = None
        elif lower == b"transfer-encoding":
            self.length_known = True
            self.relayed_chunked = True

    def relayed_head(self) -> tuple[bytes, int | None]:
        """The response's header lines to relay unchanged (hop-by-hop dropped), Content-Length."""
        return b"".join(self.relayed), None if self.relayed_chunked else self.relayed_length

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200:
            return  # interim responses (100 Continue) are swallowed
        if not self.parser.should_keep_alive():
            self.reusable = False
        self.head_seen = True
        if self.listener is not None:
            self.listener.upstream_head(self, status, self.raw_headers)
        elif self.head is not None and not self.head.done():
            self.head.set_result((status, decode_headers(self.raw_headers)))
        if self.no_body or status in (204, 304):
            self.reusable = self.reusable and not self.no_body
            self._finish()

    def on_body(self, chunk: bytes) -> None:
        if self.listener is not None:
            self.listener.upstream_body(chunk)
        elif self.sink is not None:
            self.sink.body(chunk)
        else:
            self.pending.append(chunk)

    def on_message_complete(self) -> None:
        if self.parser.get_status_code() < 200:
            return
        self._finish()

    def pause_writing(self) -> None:
        pass

    def resume_writing(self) -> None:
        pass

    # ---------------------------------------------------------------- exchange

    def _finish(self) -> None:
        self.complete = True
        listener = self.listener
        if listener is not None:
            self.listener = None
            listener.upstream_done(self)
        elif self.done is not None and not self.done.done():
            self.done.set_result(None)

    def _notify_failure(self, exc: Exception) -> None:
        listener = self.listener
        if listener is not None:
            self.listener = None
            listener.upstream_failed(self, exc)

    def _fail(self, exc: Exception) -> None:
        self.reusable = False
        self._notify_failure(exc)
        if self.head is not None and not self.head.done():
            self.head.set_exception(exc)
        if self.done is not None and not self.done.done():
            self.done.set_exception(exc)
        self.close()

    def send(self, head: bytes, body: bytes, no_body: bool) -> asyncio.Future[tuple[int, Headers]]:
        """Send one request; the future resolves with (status, headers)."""
        loop = self.loop
        self.used = True
        self.released = False
        self.complete = False
        self.head_seen = False
        self.head = loop.create_future()
        self.done = loop.create_future()
        self.sink = None
        self.pending = []
        self.no_body = no_body
        assert self.transport is not None
        self.transport.write(head + body if body else head)
        return self.head

    def send_with_listener(
        self, head: bytes, body: bytes, no_body: bool, listener: ExchangeListener
    ) -> None:
        """Send one request; the listener gets head, body and completion as callbacks."""
        self.used = True
        self.released = False
        self.complete = False
        self.head_seen = False
        self.head = None
        self.done = None
        self.sink = None
        self.no_body = no_body
        self.listener = listener
        assert self.transport is not None
        self.pool.writes.write(self.transport, head + body if body else head)

    def write_body(self, data: bytes) -> None:
        """More request body for the exchange in progress."""
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    def attach(self, sink: BodySink) -> asyncio.Future[None]:
        """Stream the body into the sink; the future resolves when the response is complete."""
        self.sink = sink
        for chunk in self.pending:
            sink.body(chunk)
        self.pending = []
        assert self.done is not None
        return self.done

    def pause_reading(self) -> None:
        """Backpressure from the client side."""
        if self.transport is not None and not self.closed:
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        """Backpressure released."""
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()

    def release(self) -> None:
        """Return to the pool when the exchange ended cleanly, else close."""
        self.sink = None
        self.released = True
        self.listener = None
        if self.reusable and not self.closed and self.complete:
            self.head = None
            self.done = None
            self.pool.put_back(self)
        else:
            self.close()

    def close(self) -> None:
        """Close the connection."""
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class UpstreamPool:
    """Idle keep-alive connections per endpoint."""

    def __init__(self, writes: WriteBatch | None = None) -> None:
        # the fast path's requests leave with the iteration's other writes (see write_batch)
        self.writes = writes if writes is not None else WriteBatch()
        # keyed by (ip, port): cheaper to hash than the dataclass, and stable across tables
        self.idle: dict[tuple[str, int], list[UpstreamConnection]] = {}
        # TLS connections apart, keyed by their policy too: never reused for another policy
        # or for plaintext (and plaintext ones never for TLS)
        self.idle_tls: dict[tuple[str, int, BackendTLS], list[UpstreamConnection]] = {}

    def _idle_list(
        self, endpoint: Endpoint, tls: BackendTLS | None, create: bool
    ) -> list[UpstreamConnection] | None:
        if tls is None:
            key = (endpoint.ip, endpoint.port)
            return self.idle.setdefault(key, []) if create else self.idle.get(key)
        tkey = (endpoint.ip, endpoint.port, tls)
        return self.idle_tls.setdefault(tkey, []) if create else self.idle_tls.get(tkey)

    def take_idle(
        self, endpoint: Endpoint, tls: BackendTLS | None = None
    ) -> UpstreamConnection | None:
        """An idle keep-alive connection to the endpoint (with this backend TLS), if any."""
        if tls is None:  # once per proxied request: the plain case without the helper call
            conns = self.idle.get((endpoint.ip, endpoint.port))
        else:
            conns = self._idle_list(endpoint, tls, create=False)
        while conns:
            conn = conns.pop()
            if not conn.closed:
                return conn
        return None

    async def acquire(
        self, endpoint: Endpoint, tls: BackendTLS | None = None
    ) -> UpstreamConnection:
        """An idle connection to the endpoint, or a new one (TLS when `tls` is set)."""
        conn = self.take_idle(endpoint, tls)
        return conn if conn is not None else await self.connect(endpoint, tls)

    async def connect(
        self, endpoint: Endpoint, tls: BackendTLS | None = None
    ) -> UpstreamConnection:
        """A new connection to the endpoint; with `tls`, verified TLS or UpstreamTLSError."""
        where = f"{endpoint.ip}:{endpoint.port}"
        _, proto = await open_connection(
            lambda: UpstreamConnection(self, endpoint, tls), endpoint, tls, ("http/1.1",)
        )
        if proto.tls_failure is not None:
            raise UpstreamTLSError(f"TLS to {where}: {proto.tls_failure}")
        return proto

    def prune(self, keep: set[tuple[str, int]]) -> None:
        """Close idle connections to endpoints that no table entry names any more."""
        for key in [k for k in self.idle if k not in keep]:
            for conn in self.idle.pop(key):
                conn.close()
        for tkey in [k for k in self.idle_tls if (k[0], k[1]) not in keep]:
            for conn in self.idle_tls.pop(tkey):
                conn.close()

    def put_back(self, conn: UpstreamConnection) -> None:
        """Keep an idle connection for reuse."""
        if conn.tls is None:  # once per proxied request: the plain case without the helper call
            endpoint = conn.endpoint
            conns = self.idle.get((endpoint.ip, endpoint.port))
            if conns is None:
                conns = self.idle[(endpoint.ip, endpoint.port)] = []
        else:
            conns = self._idle_list(conn.endpoint, conn.tls, create=True)
            assert conns is not None
        if len(conns) >= _IDLE_PER_ENDPOINT:
            conn.close()
        else:
            conns.append(conn)

    def forget(self, conn: UpstreamConnection) -> None:
        """Drop a closed connection from the idle list."""
        conns = self._idle_list(conn.endpoint, conn.tls, create=False)
        if conns and conn in conns:
            conns.remove(conn)


def decode_headers(raw: list[tuple[bytes, bytes]]) -> Headers:
    """Header pairs as text."""
    return [(n.decode("latin-1"), v.decode("latin-1")) for n, v in raw]


_NOT_RELAYED = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"te", b"trailer"}
    | {b"upgrade", b"content-length"}
)
# most response headers are told apart by length alone, without lower-casing them
_NOT_RELAYED_LENGTHS = frozenset(len(name) for name in _NOT_RELAYED)


def request_head(
    method: str, target: str, authority: str, headers: Headers, body_len: int | None
) -> bytes:
    """Serialize an HTTP/1.1 request head for a backend."""
    lines = [f"{method} {target} HTTP/1.1\r\nHost: {authority}\r\n"]
    for name, value in headers:
        if "\n" in value or "\r" in value:
            continue
        lines.append(f"{name}: {value}\r\n")
    if body_len is not None:
        lines.append(f"Content-Length: {body_len}\r\n")
    lines.append("\r\n")
    return "".join(lines).encode("latin-1", "replace")
