"""The UDP echo mode (UDP_ECHO_SERVER): one JSON reply per datagram."""

from __future__ import annotations

import asyncio
from typing import cast

from harness.echo.config import PodContext
from harness.echo.go_http import go_json_string
from harness.echo.log_lines import log_line

__all__ = ["UdpEchoProtocol"]


class UdpEchoProtocol(asyncio.DatagramProtocol):
    """Answer each datagram with its payload and the pod context as JSON."""

    def __init__(self, context: PodContext) -> None:
        self._context_json = (
            f'"namespace":{go_json_string(context.namespace)},'
            f'"ingress":{go_json_string(context.ingress)},'
            f'"service":{go_json_string(context.service)},'
            f'"pod":{go_json_string(context.pod)}'
        )
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.DatagramTransport, transport)
        self._transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        payload = data[:1024].decode("utf-8", "replace")  # upstream reads into a 1 KiB buffer
        host, port = str(addr[0]), addr[1]
        remote = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        log_line(f"Received UDP {payload} from {remote}")
        reply = f'{{"request":{go_json_string(payload)},{self._context_json}}}'
        assert self._transport is not None
        self._transport.sendto(reply.encode(), addr)
