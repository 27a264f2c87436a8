"""Start, run and stop the echo server in whichever mode its config names."""

from __future__ import annotations

import asyncio
import signal
import socket
import ssl
import sys
import time
from collections.abc import Callable
from typing import cast

from harness.echo.config import EchoConfig, EchoMode, port_number
from harness.echo.http1 import ConnectionRegistry, Http1Protocol
from harness.echo.http2 import H2Protocol
from harness.echo.http2_echo import http2_stream_handler
from harness.echo.http_handlers import EchoHandlers
from harness.echo.log_lines import log_line
from harness.echo.tcp_echo import TcpEchoProtocol
from harness.echo.tls_state import server_context
from harness.echo.udp_echo import UdpEchoProtocol

__all__ = ["EchoServer", "run", "serve"]

_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
ProtocolFactory = Callable[[], asyncio.BaseProtocol]


class _PrefaceSniffer(asyncio.Protocol):
    """Serve HTTP/1 or HTTP/2 on one port by looking for the HTTP/2 client preface."""

    def __init__(self, make_http1: ProtocolFactory, make_http2: ProtocolFactory) -> None:
        self._make_http1 = make_http1
        self._make_http2 = make_http2
        self._transport: asyncio.Transport | None = None
        self._buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        seen = min(len(self._buffer), len(_H2_PREFACE))
        if self._buffer[:seen] != _H2_PREFACE[:seen]:
            self._hand_over(self._make_http1())
        elif seen == len(_H2_PREFACE):
            self._hand_over(self._make_http2())

    def _hand_over(self, protocol: asyncio.BaseProtocol) -> None:
        assert self._transport is not None and isinstance(protocol, asyncio.Protocol)
        self._transport.set_protocol(protocol)
        protocol.connection_made(self._transport)
        protocol.data_received(self._buffer)


class _AlpnDispatcher(asyncio.Protocol):
    """After the TLS handshake, hand the connection to HTTP/2 or HTTP/1 by ALPN."""

    def __init__(self, make_http1: ProtocolFactory, make_http2: ProtocolFactory) -> None:
        self._make_http1 = make_http1
        self._make_http2 = make_http2

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        ssl_object = transport.get_extra_info("ssl_object")
        alpn = ssl_object.selected_alpn_protocol() if ssl_object is not None else None
        protocol = self._make_http2() if alpn == "h2" else self._make_http1()
        transport.set_protocol(protocol)
        protocol.connection_made(transport)


class EchoServer:
    """The listeners of one echo server; ``ports`` holds the bound ports once started."""

    def __init__(self, config: EchoConfig) -> None:
        self.config = config
        self.ports: dict[str, int] = {}
        self._servers: list[asyncio.Server] = []
        self._datagram: asyncio.DatagramTransport | None = None
        self._registry = ConnectionRegistry()

    async def start(self) -> None:
        """Bind every listener of the configured mode."""
        mode = self.config.mode
        if mode is EchoMode.HTTP:
            await self._start_http()
        elif mode is EchoMode.GRPC:
            await self._start_grpc()
        elif mode is EchoMode.TCP:
            await self._start_tcp()
        else:
            await self._start_udp()

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Stop listening, close idle connections, give busy ones up to grace_seconds."""
        for server in self._servers:
            server.close()
        if self._datagram is not None:
            self._datagram.close()
        for protocol in list(self._registry.open):
            shutdown = getattr(protocol, "shutdown", None)
            if shutdown is not None:
                shutdown()
        deadline = time.monotonic() + grace_seconds
        while self._registry.open and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()

    async def _listen(
        self,
        name: str,
        var: str,
        port_text: str,
        factory: ProtocolFactory,
        ssl_context: ssl.SSLContext | None = None,
    ) -> int:
        port = port_number(var, port_text)
        loop = asyncio.get_running_loop()
        if self.config.bind_host:
            server = await loop.create_server(
                factory,
                host=self.config.bind_host,
                port=port,
                reuse_address=True,
                ssl=ssl_context,
                backlog=1024,
            )
        else:
            server = await loop.create_server(
                factory, sock=_any_address_socket(port), ssl=ssl_context, backlog=1024
            )
        self._servers.append(server)
        bound = int(server.sockets[0].getsockname()[1])
        self.ports[name] = bound
        return bound

    async def _start_http(self) -> None:
        config = self.config
        registry = self._registry
        http_port_text = config.http_port
        # The JSON's httpPort is upstream's HTTP_PORT text; port 0 reports the bound port.
        holder: list[EchoHandlers] = []

        def make_main() -> asyncio.BaseProtocol:
            return Http1Protocol(holder[0].handle, registry)

        log_line(f"Starting server, listening on port {http_port_text} (http)")
        bound = await self._listen("http", "HTTP_PORT", http_port_text, make_main)
        if port_number("HTTP_PORT", http_port_text) == 0:
            http_port_text = str(bound)
        handlers = EchoHandlers(config.context, http_port_text)
        holder.append(handlers)
        h2c_stream = http2_stream_handler(handlers.handle_h2c_port)
        main_stream = http2_stream_handler(handlers.handle)

        def make_h2c() -> asyncio.BaseProtocol:
            return _PrefaceSniffer(
                lambda: Http1Protocol(handlers.handle_h2c_port, registry),
                lambda: H2Protocol(h2c_stream, registry),
            )

        log_line(f"Starting server, listening on port {config.h2c_port} (h2c)")
        await self._listen("h2c", "H2C_PORT", config.h2c_port, make_h2c)
        if config.tls_enabled:
            context = server_context(
                config.tls_server_cert,
                config.tls_server_key,
                cert_var="TLS_SERVER_CERT",
                key_var="TLS_SERVER_PRIVKEY",
                client_ca_file=config.tls_client_cacerts,
                alpn=("h2", "http/1.1"),
            )

            def make_https() -> asyncio.BaseProtocol:
                return _AlpnDispatcher(
                    lambda: Http1Protocol(handlers.handle, registry),
                    lambda: H2Protocol(main_stream, registry),
                )

            log_line(f"Starting server, listening on port {config.https_port} (https)")
            await self._listen("https", "HTTPS_PORT", config.https_port, make_https, context)

    async def _start_grpc(self) -> None:
        # protobuf costs ~0.5 s to import: only gRPC mode pays for it, so pods start faster.
        from harness.echo.grpc_echo import grpc_stream_handler

        config = self.config
        registry = self._registry
        plain = grpc_stream_handler(config.context, tls=False)
        port = await self._listen(
            "grpc", "HTTP_PORT", config.http_port, lambda: H2Protocol(plain, registry)
        )
        log_line(f"plaintext server listening at [::]:{port}")
        if config.tls_enabled:
            context = server_context(
                config.tls_server_cert,
                config.tls_server_key,
                cert_var="TLS_SERVER_CERT",
                key_var="TLS_SERVER_PRIV_KEY",
                alpn=("h2",),
            )
            secure = grpc_stream_handler(config.context, tls=True)
            port = await self._listen(
                "grpcs",
                "HTTPS_PORT",
                config.https_port,
                lambda: H2Protocol(secure, registry),
                context,
            )
            log_line(f"secure server listening at [::]:{port}")

    async def _start_tcp(self) -> None:
        config = self.config
        registry = self._registry

        def make(tcp_port: str, tls_port: str) -> ProtocolFactory:
            return lambda: TcpEchoProtocol(config.context, tcp_port, tls_port, registry)

        tcp_port = await self._listen(
            "tcp", "TCP_PORT", config.tcp_port, make(config.tcp_port, config.tls_port)
        )
        _slog_info(f"Starting server (tcp) protocol=tcp port={tcp_port}")
        if config.tls_enabled:
            context = server_context(
                config.tls_server_cert,
                config.tls_server_key,
                cert_var="TLS_SERVER_CERT",
                key_var="TLS_SERVER_PRIV_KEY",
            )
            tls_port = await self._listen(
                "tls", "TLS_PORT", config.tls_port, make(config.tcp_port, config.tls_port), context
            )
            _slog_info(f"Starting server (tcp) protocol=tls port={tls_port}")

    async def _start_udp(self) -> None:
        config = self.config
        port = port_number("UDP_PORT", config.udp_port)
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: UdpEchoProtocol(config.context),
            local_addr=(config.bind_host or "0.0.0.0", port),
        )
        self._datagram = transport
        self.ports["udp"] = int(transport.get_extra_info("sockname")[1])
        ctx = config.context
        log_line(
            f"UDP server listening on :{config.udp_port} with context: "
            f"{{Namespace:{ctx.namespace} Ingress:{ctx.ingress} "
            f"Service:{ctx.service} Pod:{ctx.pod}}}"
        )


def _any_address_socket(port: int) -> socket.socket:
    """A listening socket on every address, like Go's ":port" (dual-stack when IPv6 works)."""
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("::", port))
    except OSError:
        # No IPv6 in this network namespace: IPv4 only.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            sock.close()
            raise
    sock.setblocking(False)
    return sock


def _slog_info(message: str) -> None:
    # Go's default slog handler writes "<date> <time> INFO <msg>" to stderr.
    stamp = time.strftime("%Y/%m/%d %H:%M:%S")
    sys.stderr.write(f"{stamp} INFO {message}\n")
    sys.stderr.flush()


async def serve(
    config: EchoConfig,
    *,
    stop: asyncio.Event | None = None,
    ready: Callable[[EchoServer], None] | None = None,
) -> None:
    """Serve until stop is set (forever without one); ready gets the started server."""
    server = EchoServer(config)
    await server.start()
    try:
        if ready is not None:
            ready(server)
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        await server.stop()


def run(config: EchoConfig) -> int:
    """Run the server on uvloop until SIGTERM or SIGINT; return the exit status."""
    import uvloop

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await serve(config, stop=stop)

    uvloop.run(main())
    return 0
