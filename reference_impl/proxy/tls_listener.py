"""TLS listeners (TLSRoute): Passthrough splices raw bytes by ClientHello SNI, Terminate decrypts.

A connection is routed once: the listener by SNI, then the TLSRoute by SNI, then a backend by
weight. Anything that cannot be routed (no SNI, unknown SNI, invalid backend, no endpoints,
backend TLS failure) closes the client connection without a TLS alert.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import cast

from reference_impl.proxy.backend_tls import BackendTLSError, client_context, verify_peer
from reference_impl.proxy.client_hello import NotClientHello, client_hello_sni
from reference_impl.proxy.plan import choose_backend
from reference_impl.proxy.tls import SNI_ATTRIBUTE
from reference_impl.proxy.worker_state import WorkerState
from reference_impl.routing_table import Backend, BackendTLS

log = logging.getLogger("reference_impl.proxy")

_HELLO_TIMEOUT = 10.0
_CONNECT_TIMEOUT = 5.0
_BUFFER_HIGH = 1024 * 1024


class _UpstreamSide(asyncio.Protocol):
    """The backend half of a spliced connection."""

    def __init__(self, client: TLSListenerConnection, tls: BackendTLS | None) -> None:
        self.client = client
        self.tls = tls
        self.transport: asyncio.Transport | None = None
        self.rejected = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        if self.tls is None:
            return
        # verify here, before the loop can deliver a single byte of an unverified backend
        sslobj = transport.get_extra_info("ssl_object")
        try:
            verify_peer(self.tls, sslobj.getpeercert(binary_form=True) if sslobj else None)
        except BackendTLSError as exc:
            log.debug("TLS port %d: backend certificate rejected: %s", self.client.port, exc)
            self.rejected = True
            self.transport.abort()
            self.client.abort()

    def data_received(self, data: bytes) -> None:
        if not self.rejected:
            self.client.write(data)

    def eof_received(self) -> bool | None:
        return self.client.upstream_eof()

    def connection_lost(self, exc: Exception | None) -> None:
        self.client.close()

    def pause_writing(self) -> None:
        self.client.pause_reading()

    def resume_writing(self) -> None:
        self.client.resume_reading()


class TLSListenerConnection(asyncio.Protocol):
    """One client connection on a TLS listener port (Passthrough or Terminate)."""

    def __init__(self, state: WorkerState, port: int, terminate: bool) -> None:
        self.state = state
        self.port = port
        self.terminate = terminate
        self.transport: asyncio.Transport | None = None
        self.upstream: _UpstreamSide | None = None
        self.buffer = bytearray()
        self.routed = False
        self.closed = False
        self.hello_timer: asyncio.TimerHandle | None = None
        self.task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ client side

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.state.connections.add(self)
        if self.terminate:
            sslobj = transport.get_extra_info("ssl_object")
            self._route(getattr(sslobj, SNI_ATTRIBUTE, None) if sslobj is not None else None)
        else:
            loop = asyncio.get_running_loop()
            self.hello_timer = loop.call_later(_HELLO_TIMEOUT, self.abort)

    def data_received(self, data: bytes) -> None:
        if self.upstream is not None and self.upstream.transport is not None:
            self.upstream.transport.write(data)
            return
        self.buffer += data
        if len(self.buffer) > _BUFFER_HIGH and self.transport is not None:
            self.transport.pause_reading()  # the backend is still being dialled
        if self.routed:
            return
        try:
            complete, sni = client_hello_sni(bytes(self.buffer))
        except NotClientHello as exc:
            log.debug("TLS port %d: %s", self.port, exc)
            self.abort()
            return
        if complete:
            self._route(sni)

    def eof_received(self) -> bool | None:
        # No half-open streams: backends that never close after EOF would pin the connection
        # (and a draining worker) forever. Both halves close once buffered bytes are out.
        self.close()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.buffer.clear()
        self.state.connections.discard(self)
        if self.hello_timer is not None:
            self.hello_timer.cancel()
        if self.task is not None and not self.task.done():
            self.task.cancel()
        if self.upstream is not None and self.upstream.transport is not None:
            self.upstream.transport.close()

    def pause_writing(self) -> None:
        if self.upstream is not None and self.upstream.transport is not None:
            self.upstream.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.upstream is not None and self.upstream.transport is not None:
            self.upstream.transport.resume_reading()

    # ---------------------------------------------------------- used by the upstream

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    def upstream_eof(self) -> bool | None:
        self.close()
        return None

    def pause_reading(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()

    def close(self) -> None:
        """Close after flushing what is buffered."""
        if self.transport is not None and not self.closed:
            self.transport.close()

    def abort(self) -> None:
        """Drop the connection at once (rejections: no alert, no data)."""
        if self.transport is not None and not self.closed:
            self.transport.abort()

    # ------------------------------------------------------------ Reapable (drain)

    def reap_if_idle(self, now: float) -> None:
        """A spliced TCP stream has no idle state the proxy can judge; never reaped."""

    def close_if_idle(self) -> bool:
        """A stream still open counts as in flight while the worker drains."""
        return not self.closed

    # -------------------------------------------------------------------- routing

    def _route(self, sni: str | None) -> None:
        self.routed = True
        if self.hello_timer is not None:
            self.hello_timer.cancel()
        backend = self._choose(sni)
        if backend is None:
            self.abort()
            return
        self.task = asyncio.get_running_loop().create_task(self._connect(backend))

    def _choose(self, sni: str | None) -> Backend | None:
        table = self.state.table
        if sni is None or table is None:
            return None
        pl = table.ports.get(self.port)
        listener = pl.by_sni(sni) if pl is not None else None
        if listener is None or listener.listener.protocol != "TLS":
            return None
        tls = listener.listener.tls
        if tls is None or (tls.mode == "Terminate") != self.terminate:
            return None  # a mixed port's table changed between the ClientHello and now
        route = listener.select_tls(sni)
        if route is None:
            return None
        backend = choose_backend(route.backends, self.state.rng)
        if backend is None or not backend.valid or not backend.endpoints:
            return None  # rejected in proportion to the backend's weight
        return backend

    async def _connect(self, backend: Backend) -> None:
        endpoints = backend.endpoints
        endpoint = endpoints[0] if len(endpoints) == 1 else self.state.rng.choice(endpoints)
        loop = asyncio.get_running_loop()
        tls = backend.tls if self.terminate else None  # Passthrough never re-encrypts
        try:
            if tls is None:
                connecting = loop.create_connection(
                    lambda: _UpstreamSide(self, None), endpoint.ip, endpoint.port
                )
            else:
                connecting = loop.create_connection(
                    lambda: _UpstreamSide(self, tls),
                    endpoint.ip,
                    endpoint.port,
                    ssl=client_context(tls, ()),
                    server_hostname=tls.hostname,
                )
            transport, upstream = await asyncio.wait_for(connecting, _CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            log.debug("TLS port %d: backend %s failed: %s", self.port, backend.name, exc)
            self.abort()
            return
        if upstream.rejected:
            return
        if self.closed:
            transport.close()
            return
        self.upstream = upstream
        if self.buffer:
            transport.write(bytes(self.buffer))
            self.buffer.clear()
        if self.transport is not None:
            self.transport.resume_reading()
