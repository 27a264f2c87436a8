"""HTTP/1.x front end (httptools): keep-alive, pipelining in order, upgrades, Go's 400s."""

from __future__ import annotations

import asyncio
import collections
import functools
import socket
import struct
from collections.abc import Callable, Coroutine
from typing import Any, cast

import httptools

from harness.echo.exchange import ConnectionAction, RawReply, Reply, Request, TLSAssertions
from harness.echo.go_http import canonical_header_key, http_date, is_valid_header_name, status_line
from harness.echo.http_handlers import MaybeDeferred, Outcome
from harness.echo.tls_state import tls_assertions
from harness.echo.websocket_echo import WebSocketEcho, accept_response

__all__ = ["ConnectionRegistry", "Http1Protocol", "remote_address"]

Handler = Callable[[Request], MaybeDeferred]
_MAX_QUEUED = 64  # pipelined requests buffered before reading pauses
_NO_BODY_STATUSES = frozenset({101, 204, 304})
_BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\n\r\n400 Bad Request"
)
_LINGER_ZERO = struct.pack("ii", 1, 0)


def remote_address(transport: asyncio.BaseTransport) -> str:
    """Go's r.RemoteAddr spelling of the peer: ``ip:port``, IPv6 in brackets."""
    peer = transport.get_extra_info("peername")
    if not peer:
        return ""
    host, port = peer[0], peer[1]
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; Go prints them as a.b.c.d.
    host = host.removeprefix("::ffff:") if "." in host else host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@functools.lru_cache(maxsize=512)
def _header_line(name: str, value: str) -> bytes:
    return f"{name}: {value}\r\n".encode("utf-8", "replace")


class ConnectionRegistry:
    """The open connections of a server, so a graceful stop can close them."""

    def __init__(self) -> None:
        self.open: set[asyncio.BaseProtocol] = set()


class Http1Protocol(asyncio.Protocol):
    """One HTTP/1.x connection; requests are answered strictly in arrival order."""

    def __init__(self, handler: Handler, registry: ConnectionRegistry) -> None:
        self._handler = handler
        self._registry = registry
        self._transport: asyncio.Transport | None = None
        self._parser: httptools.HttpRequestParser | None = httptools.HttpRequestParser(self)
        self._remote = ""
        self._tls: TLSAssertions | None = None
        self._queue: collections.deque[tuple[Request, bool, bool]] = collections.deque()
        self._busy = False
        self._closing = False
        self._leftover: bytes | None = None  # bytes after an upgrade request, parsed later
        self._reading_paused = False
        self._closing_after_queue = False  # peer sent EOF or the server is stopping
        # Request under construction.
        self._url = b""
        self._headers: dict[str, list[str]] = {}
        self._hosts: list[str] = []
        self._body: list[bytes] = []

    # -- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        self._remote = remote_address(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            self._tls = tls_assertions(ssl_object)
        self._registry.open.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self._registry.open.discard(self)

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        if self._parser is None:
            self._leftover = (self._leftover or b"") + data
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            offset = upgrade.args[0] if upgrade.args else len(data)
            self._parser = None
            self._leftover = data[offset:]
        except httptools.HttpParserError:
            self._write_and_close(_BAD_REQUEST)

    def eof_received(self) -> bool | None:
        if not self._busy and not self._queue:
            return None  # close now
        self._closing_after_queue = True
        return True

    def shutdown(self) -> None:
        """Close now if idle, else after the queued responses."""
        if not self._busy and not self._queue and self._transport is not None:
            self._closing = True
            self._transport.close()
        else:
            self._closing_after_queue = True

    # -- httptools callbacks ------------------------------------------------------------

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = canonical_header_key(name.decode("latin-1"))
        text = value.decode("utf-8", "replace")
        if key == "Host":
            self._hosts.append(text)
            return
        if key == "Expect" and text.lower() == "100-continue" and self._transport is not None:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        values = self._headers.get(key)
        if values is None:
            self._headers[key] = [text]
        else:
            values.append(text)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        parser = self._parser
        assert parser is not None
        version = parser.get_http_version()
        method = parser.get_method().decode("latin-1")
        keep_alive = parser.should_keep_alive()
        upgrade = parser.should_upgrade()
        proto = f"HTTP/{version}"
        url, headers, hosts, body = self._url, self._headers, self._hosts, self._body
        # Reset here rather than in on_message_begin: one callback less per request.
        self._url, self._headers, self._hosts, self._body = b"", {}, [], []
        if len(hosts) > 1:
            self._write_and_close(_BAD_REQUEST + b": too many Host headers")
            return
        if not hosts and version == "1.1" and method != "CONNECT":
            self._write_and_close(_BAD_REQUEST + b": missing required Host header")
            return
        headers.pop("Transfer-Encoding", None)  # Go moves it out of r.Header
        request_uri = url.decode("utf-8", "replace")
        host = hosts[0] if hosts else ""
        if not request_uri.startswith("/") and "://" in request_uri:
            # Absolute-form target: Go takes the host from the URL.
            host = request_uri.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0] or host
        request = Request(
            method=method,
            request_uri=request_uri,
            host=host,
            proto=proto,
            headers=headers,
            remote_addr=self._remote,
            body=b"".join(body),
            tls=self._tls,
        )
        self._queue.append((request, keep_alive, upgrade))
        if len(self._queue) > _MAX_QUEUED and not self._reading_paused and self._transport:
            self._transport.pause_reading()
            self._reading_paused = True
        self._drain()

    # -- answering ----------------------------------------------------------------------

    def _drain(self) -> None:
        while self._queue and not self._busy and not self._closing:
            request, keep_alive, upgrade = self._queue.popleft()
            result = self._handler(request)
            if isinstance(result, Reply | RawReply | ConnectionAction):
                self._finish(request, result, keep_alive, upgrade)
            else:
                self._busy = True
                asyncio.get_running_loop().create_task(
                    self._finish_later(request, result, keep_alive, upgrade)
                )
                return
        if self._closing or self._busy:
            return
        if self._reading_paused and self._transport is not None:
            self._reading_paused = False
            self._transport.resume_reading()
        if self._parser is None and not self._queue:
            # The upgrade request was answered without switching; parse what followed it.
            self._parser = httptools.HttpRequestParser(self)
            leftover, self._leftover = self._leftover, None
            if leftover:
                self.data_received(leftover)
        elif self._closing_after_queue and self._transport is not None:
            self._closing = True
            self._transport.close()

    async def _finish_later(
        self,
        request: Request,
        pending: Coroutine[Any, Any, Outcome],
        keep_alive: bool,
        upgrade: bool,
    ) -> None:
        try:
            outcome = await pending
        except Exception:
            outcome = Reply(500)
        self._busy = False
        if self._closing:
            return
        self._finish(request, outcome, keep_alive, upgrade)
        self._drain()

    def _finish(self, request: Request, outcome: Outcome, keep_alive: bool, upgrade: bool) -> None:
        transport = self._transport
        assert transport is not None
        if isinstance(outcome, Reply):
            self._write_reply(request, outcome, keep_alive)
            if not keep_alive:
                self._closing = True
                transport.close()
        elif isinstance(outcome, RawReply):
            self._write_and_close(outcome.data)
        elif outcome is ConnectionAction.RESET:
            self._reset()
        elif outcome is ConnectionAction.WEBSOCKET:
            self._switch_to_websocket(request)

    def _write_reply(self, request: Request, reply: Reply, keep_alive: bool) -> None:
        assert self._transport is not None
        status = reply.status
        parts: list[bytes] = []
        if 100 <= status < 200 and status != 101:
            # Go sends 1xx as an informational response, then 200 when the handler returns.
            parts.append(status_line(status) + b"\r\n")
            status, reply = 200, Reply(200)
        parts.append(status_line(status))
        for name, value in sorted(reply.headers):
            if is_valid_header_name(name):
                clean = value.replace("\r", " ").replace("\n", " ").strip(" \t")
                parts.append(_header_line(name, clean))
        parts.append(b"Date: " + http_date() + b"\r\n")
        head_only = request.method == "HEAD"
        body_allowed = status not in _NO_BODY_STATUSES and not 100 <= status < 200
        # Go sends Content-Length on HEAD only when the handler wrote a (discarded) body.
        if body_allowed and (not head_only or reply.body):
            parts.append(b"Content-Length: %d\r\n" % len(reply.body))
        if not keep_alive:
            parts.append(b"Connection: close\r\n")
        elif request.proto == "HTTP/1.0":
            parts.append(b"Connection: keep-alive\r\n")
        parts.append(b"\r\n")
        if body_allowed and not head_only:
            parts.append(reply.body)
        self._transport.write(b"".join(parts))

    def _write_and_close(self, data: bytes) -> None:
        if self._transport is None or self._closing:
            return
        self._closing = True
        self._transport.write(data)
        self._transport.close()

    def _reset(self) -> None:
        transport = self._transport
        assert transport is not None
        self._closing = True
        if self._tls is not None:
            # Upstream closes the hijacked tls.Conn: close_notify and FIN, not a reset.
            transport.close()
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
        transport.abort()

    def _switch_to_websocket(self, request: Request) -> None:
        transport = self._transport
        assert transport is not None
        self._closing = True  # this protocol object is done with the connection
        self._registry.open.discard(self)
        transport.write(accept_response(request.header("Sec-Websocket-Key")))
        echo = WebSocketEcho(transport, self._remote, self._registry)
        transport.set_protocol(echo)
        leftover, self._leftover = self._leftover, None
        if self._reading_paused:
            transport.resume_reading()
        if leftover:
            echo.data_received(leftover)
