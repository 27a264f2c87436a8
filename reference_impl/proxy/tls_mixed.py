"""Ports where TLS Passthrough and Terminate listeners meet (TLSRouteModeMixed).

The mode is known only once the ClientHello's SNI names a listener, and a terminated handshake
needs that same ClientHello. So the acceptor only peeks (MSG_PEEK) at the kernel's buffer; once
the ClientHello is complete the untouched socket goes to the ordinary TLS listener protocol,
wrapped in the port's server context when the SNI names a Terminate listener.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl

from reference_impl.proxy.client_hello import NotClientHello, client_hello_sni
from reference_impl.proxy.tls_listener import TLSListenerConnection
from reference_impl.proxy.worker_state import WorkerState

log = logging.getLogger("reference_impl.proxy")

_HELLO_TIMEOUT = 10.0
_PEEK_LIMIT = 64 * 1024
# Peeked bytes keep a socket readable, so an incomplete ClientHello is polled, not awaited.
_PEEK_POLL = 0.005
_BACKLOG = 1024


class MixedTLSServer:
    """The listening socket of one mixed TLS port: peeks each ClientHello, then hands over."""

    def __init__(
        self, state: WorkerState, port: int, sock: socket.socket, ctx: ssl.SSLContext | None
    ) -> None:
        self.state = state
        self.port = port
        self.sock = sock
        self.ctx = ctx
        self.pending: set[asyncio.Task[None]] = set()
        self.accepting = asyncio.get_running_loop().create_task(self._accept())
        self.accepting.add_done_callback(lambda _: self.sock.close())

    @classmethod
    def start(
        cls, state: WorkerState, address: str, port: int, ctx: ssl.SSLContext | None
    ) -> MixedTLSServer:
        """Bind the port (SO_REUSEPORT, as the other listeners) and start accepting."""
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.create_server(
            (address, port), family=family, backlog=_BACKLOG, reuse_port=True
        )
        sock.setblocking(False)
        return cls(state, port, sock, ctx)

    def close(self) -> None:
        """Stop accepting; connections still sending their ClientHello are dropped."""
        self.accepting.cancel()
        for task in self.pending:
            task.cancel()

    async def _accept(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _ = await loop.sock_accept(self.sock)
            except OSError as exc:
                # e.g. out of descriptors: back off instead of spinning on the listening socket
                log.debug("TLS port %d: accept failed: %s", self.port, exc)
                await asyncio.sleep(0.1)
                continue
            conn.setblocking(False)
            task = loop.create_task(self._hand_over(conn))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)

    async def _hand_over(self, conn: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(_HELLO_TIMEOUT):
                sni = await peek_client_hello_sni(loop, conn)
            terminate = self._terminates(sni)
            if terminate is None or (terminate and self.ctx is None):
                conn.close()  # unroutable: the unread ClientHello makes this a reset, no alert
                return
            await loop.connect_accepted_socket(
                lambda: TLSListenerConnection(self.state, self.port, terminate),
                conn,
                ssl=self.ctx if terminate else None,
            )
        except (OSError, TimeoutError, NotClientHello, ssl.SSLError) as exc:
            log.debug("TLS port %d: connection dropped: %s", self.port, exc)
            conn.close()
        except asyncio.CancelledError:
            conn.close()
            raise

    def _terminates(self, sni: str | None) -> bool | None:
        """Whether the listener the SNI names terminates TLS; None when none takes it."""
        table = self.state.table
        ports = table.ports.get(self.port) if table is not None else None
        chosen = ports.by_sni(sni) if ports is not None else None
        if chosen is None or chosen.listener.protocol != "TLS" or chosen.listener.tls is None:
            return None
        return chosen.listener.tls.mode == "Terminate"


async def peek_client_hello_sni(loop: asyncio.AbstractEventLoop, conn: socket.socket) -> str | None:
    """The SNI of the ClientHello waiting in the socket, leaving every byte unread."""
    await _readable(loop, conn)
    seen = 0
    while True:
        data = conn.recv(_PEEK_LIMIT, socket.MSG_PEEK)
        if not data:
            raise ConnectionError("closed before a complete ClientHello")
        complete, sni = client_hello_sni(data)
        if complete:
            return sni
        if len(data) >= _PEEK_LIMIT:
            raise NotClientHello(f"no complete ClientHello in {_PEEK_LIMIT} bytes")
        if len(data) == seen:
            await asyncio.sleep(_PEEK_POLL)
        seen = len(data)


async def _readable(loop: asyncio.AbstractEventLoop, conn: socket.socket) -> None:
    ready: asyncio.Future[None] = loop.create_future()
    fd = conn.fileno()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)
