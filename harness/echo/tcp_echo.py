"""The TCP echo mode (TCP_ECHO_SERVER): welcome line, then PING, IS_TLS and TEST commands."""

from __future__ import annotations

import asyncio
from typing import cast

from harness.echo.config import PodContext
from harness.echo.go_http import go_json_string
from harness.echo.http1 import ConnectionRegistry
from harness.echo.tls_state import go_version_name, tls_assertions

__all__ = ["WELCOME_MESSAGE", "TcpEchoProtocol", "test_payload"]

WELCOME_MESSAGE = b"Gateway API Test TCP Server\n"
_MAX_LINE = 64 * 1024  # bufio.Scanner's default token limit


def test_payload(
    context: PodContext, tcp_port: str, tls_port: str, ssl_object: object | None
) -> bytes:
    """The compact JSON answer to TEST, in upstream's field order."""
    fields = [
        f'"namespace":{go_json_string(context.namespace)}',
        f'"ingress":{go_json_string(context.ingress)}',
        f'"service":{go_json_string(context.service)}',
        f'"pod":{go_json_string(context.pod)}',
        f'"tcpport":{go_json_string(tcp_port)}',
    ]
    if tls_port:
        fields.append(f'"tlsport":{go_json_string(tls_port)}')
    fields.append(f'"isTLS":{"true" if ssl_object is not None else "false"}')
    if ssl_object is not None:
        facts = tls_assertions(ssl_object)  # type: ignore[arg-type]
        tls_fields = [
            f'"version":{go_json_string(go_version_name(facts.version))}',
            f'"serverName":{go_json_string(facts.server_name)}',
        ]
        if facts.negotiated_protocol:
            tls_fields.append(f'"negotiatedProtocol":{go_json_string(facts.negotiated_protocol)}')
        tls_fields.append(f'"cipherSuite":{go_json_string(facts.cipher_suite)}')
        fields.append('"tls":{' + ",".join(tls_fields) + "}")
    return ("{" + ",".join(fields) + "}\n").encode()


class TcpEchoProtocol(asyncio.Protocol):
    """One TCP (or TLS) connection of the TCP echo mode."""

    def __init__(
        self, context: PodContext, tcp_port: str, tls_port: str, registry: ConnectionRegistry
    ) -> None:
        self._context = context
        self._tcp_port = tcp_port
        self._tls_port = tls_port
        self._registry = registry
        self._transport: asyncio.Transport | None = None
        self._buffer = b""
        self._payload = b""
        self._is_tls = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        self._registry.open.add(self)
        ssl_object = transport.get_extra_info("ssl_object")
        self._is_tls = ssl_object is not None
        self._payload = test_payload(self._context, self._tcp_port, self._tls_port, ssl_object)
        transport.write(WELCOME_MESSAGE)

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buffer += data
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            self._answer(line.removesuffix(b"\r"))
        if len(self._buffer) > _MAX_LINE:
            self._transport.close()

    def eof_received(self) -> bool | None:
        if self._buffer:
            self._answer(self._buffer.removesuffix(b"\r"))
            self._buffer = b""
        return None

    def _answer(self, line: bytes) -> None:
        assert self._transport is not None
        if line == b"TEST":
            self._transport.write(self._payload)
        elif line == b"IS_TLS":
            self._transport.write(b"true\n" if self._is_tls else b"false\n")
        elif line == b"PING":
            self._transport.write(b"PONG\n")

    def connection_lost(self, exc: Exception | None) -> None:
        self._registry.open.discard(self)

    def shutdown(self) -> None:
        """Close the connection (graceful stop of the server)."""
        if self._transport is not None:
            self._transport.close()
