"""A minimal HTTP/1.1 target on loopback for checking and calibrating the load engine.

It answers every request with a fixed status and a 2-byte body (and
``GET /__connections`` with the number of connections accepted), and can freeze
its whole event loop for ``--stall-s`` every ``--stall-every-s`` seconds (like a
GC pause or a blocked proxy), or reset every connection instead of answering.
Run ``python -m harness.load.calibration_server --port 0``; it prints
``LISTENING <port>`` once it accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import ssl
import struct
import sys
import time
from collections.abc import Sequence
from http import HTTPStatus

_HEAD_END = b"\r\n\r\n"


CONNECTIONS_PATH = b"/__connections"  # answers with the number of connections accepted so far


def _response(status: int, close: bool, body: bytes = b"ok") -> bytes:
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Status"
    connection = b"close" if close else b"keep-alive"
    return (
        f"HTTP/1.1 {status} {reason}\r\n".encode()
        + f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: ".encode()
        + connection
        + b"\r\n\r\n"
        + body
    )


class _Counters:
    connections = 0


class _TargetProtocol(asyncio.Protocol):
    def __init__(self, status: int, reset: bool) -> None:
        self._status = status
        self._reset = reset
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        _Counters.connections += 1
        sock = transport.get_extra_info("socket")
        if sock is not None and self._reset:
            # linger 0: close() sends RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buffer += data
        while (end := self._buffer.find(_HEAD_END)) >= 0:
            head = self._buffer[:end].lower()
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line.startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if len(self._buffer) < end + 4 + length:
                return  # wait for the rest of the body
            self._buffer = self._buffer[end + 4 + length :]
            target = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b""
            if target == CONNECTIONS_PATH:
                counted = str(_Counters.connections).encode()
                self._transport.write(_response(200, False, counted))
                continue
            if self._reset:
                self._transport.abort()
                return
            close = b"\r\nconnection: close" in head
            self._transport.write(_response(self._status, close))
            if close:
                self._transport.close()
                return


async def _stall_forever(every_s: float, stall_s: float) -> None:
    while True:
        await asyncio.sleep(every_s - stall_s)
        time.sleep(stall_s)  # blocks the whole loop on purpose: the server freezes


async def serve(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    context: ssl.SSLContext | None = None
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    server = await loop.create_server(
        lambda: _TargetProtocol(args.status, args.reset),
        host=args.host,
        port=args.port,
        ssl=context,
        backlog=1024,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"LISTENING {port}", flush=True)
    stalls = None
    if args.stall_every_s > 0 and args.stall_s > 0:
        stalls = loop.create_task(_stall_forever(args.stall_every_s, args.stall_s))
    try:
        await server.serve_forever()
    finally:
        if stalls is not None:
            stalls.cancel()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--reset", action="store_true", help="reset connections, never answer")
    parser.add_argument("--stall-every-s", type=float, default=0.0)
    parser.add_argument("--stall-s", type=float, default=0.0)
    parser.add_argument("--tls-cert", help="PEM certificate chain: serve HTTPS")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument("--uvloop", action="store_true", help="use uvloop's event loop")
    args = parser.parse_args(argv)
    if not args.host.startswith("127."):
        parser.error(f"--host {args.host} is not a loopback address; use 127.0.0.1")
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if not 100 <= args.status <= 599:
        parser.error(f"--status {args.status} is not an HTTP status; use 100..599")
    if args.stall_s and args.stall_s >= args.stall_every_s:
        parser.error("--stall-s must be shorter than --stall-every-s")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.uvloop:
        import uvloop

        uvloop.install()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
