"""Carry out a Forward decision: tries, retries, timeouts, response filters, mirrors."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Protocol

from reference_impl.proxy.body import BodyStream
from reference_impl.proxy.filters import Headers, modify_headers
from reference_impl.proxy.h2_pool import H2Pool
from reference_impl.proxy.plan import Forward, MirrorCopy
from reference_impl.proxy.upstream import (
    UpstreamConnection,
    UpstreamError,
    UpstreamPool,
    UpstreamTLSError,
    request_head,
)
from reference_impl.routing_table import Endpoint

log = logging.getLogger("reference_impl.proxy")

H2C = "kubernetes.io/h2c"
_DEFAULT_RETRY_ATTEMPTS = 1
_DEFAULT_BACKOFF = 0.025
_MIRROR_TIMEOUT = 10.0
_MAX_MIRRORS_IN_FLIGHT = 256
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
    }
)


class ResponseWriter(Protocol):
    """The client side of one exchange (HTTP/1.1 or HTTP/2)."""

    started: bool

    def start(self, status: int, headers: Headers, content_length: int | None) -> None:
        """Send the status line and headers."""

    def body(self, chunk: bytes) -> None:
        """Send a piece of the body."""

    def end(self, trailers: Headers | None = None) -> None:
        """The response is complete (trailers only reach HTTP/2 clients)."""

    def abort(self) -> None:
        """Give up on a response already started (close the stream or connection)."""

    def link(self, conn: UpstreamConnection | None) -> None:
        """Tie client backpressure to an upstream connection."""


class _Discard:
    def body(self, chunk: bytes) -> None:
        pass


def send_simple(
    writer: ResponseWriter,
    status: int,
    headers: Headers,
    body: bytes,
    trailers: Headers | None = None,
) -> None:
    """A complete response from memory."""
    writer.start(status, headers, None if trailers else len(body))
    if body:
        writer.body(body)
    writer.end(trailers)


def error_response(writer: ResponseWriter, status: int, text: str) -> None:
    """A plain-text error answer."""
    send_simple(
        writer, status, [("Content-Type", "text/plain; charset=utf-8")], text.encode() + b"\n"
    )


def response_headers(d: Forward, upstream: Headers) -> tuple[Headers, int | None]:
    """Backend headers minus hop-by-hop ones, with response modifiers and CORS applied."""
    out: Headers = []
    length: int | None = None
    chunked = False
    for name, value in upstream:
        lower = name.lower()
        if lower == "content-length":
            try:
                length = int(value)
            except ValueError:
                length = None
            continue
        if lower in _HOP_BY_HOP:
            chunked = chunked or (lower == "transfer-encoding")
            continue
        if d.cors_headers is not None and lower.startswith("access-control-"):
            continue
        out.append((name, value))
    for mod in d.response_modifiers:
        out = modify_headers(out, mod)
    if d.cors_headers:
        out.extend(d.cors_headers)
    return out, None if chunked else length


class Forwarder:
    """Runs forward decisions of one worker against its upstream pool."""

    def __init__(self, pool: UpstreamPool, rng: random.Random) -> None:
        self.pool = pool
        self.h2_pool = H2Pool()  # HTTP/2 backends (gRPC, h2c): streams share connections
        self.rng = rng
        self.mirror_tasks: set[asyncio.Task[None]] = set()

    # ---------------------------------------------------------------- mirrors

    def start_mirrors(self, mirrors: tuple[MirrorCopy, ...], body: bytes) -> None:
        """Fire-and-forget copies; never awaited by the primary exchange."""
        for copy in mirrors:
            if len(self.mirror_tasks) >= _MAX_MIRRORS_IN_FLIGHT or not copy.backend.endpoints:
                continue
            task = asyncio.get_running_loop().create_task(self._mirror(copy, body))
            self.mirror_tasks.add(task)
            task.add_done_callback(self.mirror_tasks.discard)

    async def _mirror(self, copy: MirrorCopy, body: bytes) -> None:
        endpoint = self.rng.choice(copy.backend.endpoints)
        try:
            async with asyncio.timeout(_MIRROR_TIMEOUT):
                if copy.backend.app_protocol == H2C or copy.h2:
                    from reference_impl.proxy.upstream_h2c import h2c_exchange

                    await h2c_exchange(
                        self.h2_pool,
                        endpoint,
                        copy.method,
                        copy.target,
                        copy.authority,
                        copy.headers,
                        body,
                        copy.backend.tls,
                    )
                    return
                head = request_head(
                    copy.method,
                    copy.target,
                    copy.authority,
                    copy.headers,
                    body_length(copy.method, body),
                )
                conn = await self.pool.acquire(endpoint, copy.backend.tls)
                try:
                    await conn.send(head, body, copy.method == "HEAD")
                    await conn.attach(_Discard())
                finally:
                    conn.release()
        except (UpstreamError, TimeoutError, OSError) as exc:
            log.debug("mirror to %s failed: %s", copy.backend.name, exc)

    # ---------------------------------------------------------------- primary

    async def forward(self, d: Forward, body: bytes | BodyStream, writer: ResponseWriter) -> None:
        """Send the request to the backend (with retries) and relay the response."""
        if d.grpc:
            await self._grpc(d, body, writer)  # streamed both ways; no retries or timeouts
            return
        if isinstance(body, BodyStream) and (d.retry or d.mirrors or d.backend.app_protocol == H2C):
            body = await body.read_all()  # it may be sent more than once
        if d.mirrors:
            assert isinstance(body, bytes)
            self.start_mirrors(d.mirrors, body)
        request_timeout = d.timeouts.request if d.timeouts and d.timeouts.request else None
        if request_timeout is None:
            await self._tries(d, body, writer)  # the common case: no timer to arm
            return
        try:
            async with asyncio.timeout(request_timeout):
                await self._tries(d, body, writer)
        except TimeoutError:
            if writer.started:
                writer.abort()
            else:
                error_response(writer, 504, "request timeout")

    async def _grpc(self, d: Forward, body: bytes | BodyStream, writer: ResponseWriter) -> None:
        """One streamed gRPC call; failures before the answer become UNAVAILABLE."""
        from reference_impl.proxy.upstream_grpc import grpc_exchange

        if d.mirrors:
            if isinstance(body, BodyStream):
                body = await body.read_all()  # the copies need the whole request
            self.start_mirrors(d.mirrors, body)
        endpoints = d.backend.endpoints
        endpoint = endpoints[0] if len(endpoints) == 1 else self.rng.choice(endpoints)
        relay = _GrpcRelay(d, writer)
        try:
            await grpc_exchange(
                self.h2_pool,
                endpoint,
                d.method,
                d.target,
                d.authority,
                d.headers,
                body,
                d.backend.tls,
                relay,
            )
        except UpstreamError as exc:
            log.debug("gRPC call to %s failed: %s", d.backend.name, exc)
            if writer.started:
                writer.abort()
            else:
                grpc_failure(writer, f"backend {d.backend.name} failed: {exc}")

    async def _tries(self, d: Forward, body: bytes | BodyStream, writer: ResponseWriter) -> None:
        retry = d.retry
        tries = 1
        backoff = 0.0
        if retry is not None:
            tries = 1 + (retry.attempts if retry.attempts is not None else _DEFAULT_RETRY_ATTEMPTS)
            backoff = retry.backoff if retry.backoff is not None else _DEFAULT_BACKOFF
        backend_timeout = (
            d.timeouts.backend_request if d.timeouts and d.timeouts.backend_request else None
        )
        h2c = d.grpc or d.backend.app_protocol == H2C
        if h2c:
            head = b""
        elif isinstance(body, BodyStream):
            chunked = [("Transfer-Encoding", "chunked")] if body.length is None else []
            head = request_head(
                d.method, d.target, d.authority, [*d.headers, *chunked], body.length
            )
        else:
            head = request_head(
                d.method, d.target, d.authority, d.headers, body_length(d.method, body)
            )
        endpoints = d.backend.endpoints
        failure = (503, "backend connection failed")
        for attempt in range(tries):
            last = attempt == tries - 1
            if attempt:
                await asyncio.sleep(backoff)
            endpoint = endpoints[0] if len(endpoints) == 1 else self.rng.choice(endpoints)
            try:
                if h2c:
                    assert isinstance(body, bytes)
                    exchange = self._h2c_try(d, endpoint, body, writer, last)
                else:
                    exchange = self._one_try(d, endpoint, head, body, writer, last)
                if backend_timeout is None:
                    done = await exchange
                else:
                    async with asyncio.timeout(backend_timeout):
                        done = await exchange
                if done:
                    return
                continue
            except TimeoutError:
                if writer.started:
                    writer.abort()
                    return
                failure = (504, "backend request timeout")
            except UpstreamError as exc:
                if writer.started:
                    writer.abort()
                    return
                log.debug("try %d to %s failed: %s", attempt + 1, d.backend.name, exc)
                # a backend TLS failure is a bad gateway; never retried in plaintext
                code = 502 if isinstance(exc, UpstreamTLSError) else 503
                failure = (code, f"backend {d.backend.name} failed: {exc}")
            if retry is None:
                break
        if d.grpc:
            grpc_failure(writer, failure[1])
            return
        error_response(writer, *failure)

    async def _one_try(
        self,
        d: Forward,
        endpoint: Endpoint,
        head: bytes,
        body: bytes | BodyStream,
        writer: ResponseWriter,
        last: bool,
    ) -> bool:
        """One HTTP/1.1 exchange; False when a retriable status was received and dropped."""
        # No silent resend on a pooled connection: a backend that resets must count as a try.
        conn = await self.pool.acquire(endpoint, d.backend.tls)
        pump: asyncio.Task[None] | None = None
        try:
            if isinstance(body, BodyStream):
                head_arrives = conn.send(head, b"", d.method == "HEAD")
                pump = asyncio.get_running_loop().create_task(_pump(conn, body))
                status, headers = await head_arrives
            else:
                status, headers = await conn.send(head, body, d.method == "HEAD")
            if d.retry is not None and status in d.retry.codes and not last:
                await conn.attach(_Discard())
                conn.release()
                return False
            out, length = response_headers(d, headers)
            writer.start(status, out, length)
            writer.link(conn)
            await conn.attach(writer)
            writer.link(None)
            if pump is not None:
                await pump  # the connection is reusable only once the request went out whole
            conn.release()
            writer.end()
            return True
        finally:
            if pump is not None and not pump.done():
                pump.cancel()
            if not conn.released:
                conn.close()  # an exchange that did not end cleanly (also on cancel)

    async def _h2c_try(
        self, d: Forward, endpoint: Endpoint, body: bytes, writer: ResponseWriter, last: bool
    ) -> bool:
        from reference_impl.proxy.upstream_h2c import h2c_exchange

        headers_out = d.headers
        if d.grpc:
            # gRPC servers may insist on TE: trailers, which the client side dropped as hop-by-hop
            headers_out = [*d.headers, ("te", "trailers")]
        status, headers, data, trailers = await h2c_exchange(
            self.h2_pool,
            endpoint,
            d.method,
            d.target,
            d.authority,
            headers_out,
            body,
            d.backend.tls,
        )
        if d.retry is not None and status in d.retry.codes and not last:
            return False
        if d.grpc and trailers is None and not data:
            # a trailers-only answer: relay grpc-status/-message as trailers (valid gRPC framing)
            trailers = [(n, v) for n, v in headers if n.lower() in _GRPC_TRAILERS]
            headers = [(n, v) for n, v in headers if n.lower() not in _GRPC_TRAILERS]
        out, _ = response_headers(d, headers)
        send_simple(writer, status, out, data, trailers)
        return True


_GRPC_TRAILERS = frozenset({"grpc-status", "grpc-message", "grpc-status-details-bin"})


class _GrpcRelay:
    """Relays a backend's gRPC answer to the client as it arrives (response filters applied)."""

    def __init__(self, d: Forward, writer: ResponseWriter) -> None:
        self.d = d
        self.writer = writer

    def on_response(self, status: int, headers: Headers, ended: bool) -> None:
        if ended:
            # trailers-only: grpc-status/-message go out as trailers (valid gRPC framing)
            trailers = [(n, v) for n, v in headers if n.lower() in _GRPC_TRAILERS]
            rest = [(n, v) for n, v in headers if n.lower() not in _GRPC_TRAILERS]
            out, _ = response_headers(self.d, rest)
            self.writer.start(status, out, None)
            self.writer.end(trailers or None)
            return
        out, _ = response_headers(self.d, headers)
        self.writer.start(status, out, None)

    def on_data(self, data: bytes) -> None:
        self.writer.body(data)

    def on_end(self, trailers: Headers | None) -> None:
        self.writer.end(trailers)


def grpc_failure(writer: ResponseWriter, message: str) -> None:
    """UNAVAILABLE (14) for a gRPC request whose backend could not be reached."""
    send_simple(
        writer,
        200,
        [("content-type", "application/grpc")],
        b"",
        [("grpc-status", "14"), ("grpc-message", message)],
    )


async def _pump(conn: UpstreamConnection, body: BodyStream) -> None:
    """Copy a streamed request body to the backend (chunked when its length is unknown)."""
    chunked = body.length is None
    while (chunk := await body.read()) is not None:
        if chunk:
            conn.write_body(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
    if chunked:
        conn.write_body(b"0\r\n\r\n")


def body_length(method: str, body: bytes) -> int | None:
    if body or method in ("POST", "PUT", "PATCH"):
        return len(body)
    return None
