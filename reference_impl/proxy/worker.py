"""One worker process: serves every listener port (SO_REUSEPORT) with the table the parent sends."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import signal
import socket
import ssl
import sys
from collections.abc import Callable
from typing import Protocol

from reference_impl.proxy.http1 import Http1Connection
from reference_impl.proxy.routing import CompiledTable
from reference_impl.proxy.table_state import TableState, advance
from reference_impl.proxy.tls import CertificateStore, port_client_validation, port_context
from reference_impl.proxy.tls_listener import TLSListenerConnection
from reference_impl.proxy.tls_mixed import MixedTLSServer
from reference_impl.proxy.worker_state import WorkerState
from reference_impl.routing_table import RouteParseCache
from reference_impl.table_patch import is_patch

log = logging.getLogger("reference_impl.proxy.worker")


class PortServer(Protocol):
    """What serves one listening port: an asyncio.Server or a MixedTLSServer."""

    def close(self) -> None:
        """Stop accepting."""


class ListenerSet:
    """The listening sockets of one worker, kept in step with the table."""

    def __init__(self, state: WorkerState, address: str) -> None:
        self.state = state
        self.address = address
        self.servers: dict[int, tuple[PortServer, str]] = {}
        self.certs = CertificateStore()

    def close(self) -> None:
        """Stop accepting on every port."""
        for server, _ in self.servers.values():
            server.close()
        self.servers.clear()

    @staticmethod
    def served_ports(table: CompiledTable) -> dict[int, str]:
        """port → what serves it: "http", "https", "tls-passthrough", "tls-terminate" or
        "tls-mixed" (both TLS modes, told apart by SNI)."""
        out: dict[int, str] = {}
        for port, pl in table.ports.items():
            protocols = {c.listener.protocol for c in pl.listeners}
            if protocols == {"TLS"}:
                modes = {c.listener.tls.mode for c in pl.listeners if c.listener.tls is not None}
                out[port] = {
                    frozenset({"Terminate"}): "tls-terminate",
                    frozenset({"Passthrough"}): "tls-passthrough",
                }.get(frozenset(modes), "tls-mixed")
            else:
                out[port] = "https" if pl.is_tls else "http"
        return out

    @staticmethod
    def port_signature(table: CompiledTable, port: int, kind: str) -> str:
        """What the listening socket of a port is built from; a change means a rebind."""
        validation = port_client_validation(table, port) if kind == "https" else None
        if validation is None:
            return kind
        ca = hashlib.sha256(validation.ca_pem.encode()).hexdigest()
        return f"{kind}|{validation.mode}|{ca}"

    def _context(self, port: int, kind: str, table: CompiledTable) -> ssl.SSLContext | None:
        if kind == "https":
            return port_context(port, table, lambda: self.state.table, self.certs)
        if kind in ("tls-terminate", "tls-mixed"):
            # TLSRoute carries arbitrary TCP: no ALPN offered
            return port_context(port, table, lambda: self.state.table, self.certs, alpn=[])
        return None

    async def _open(self, port: int, kind: str, ctx: ssl.SSLContext | None) -> PortServer:
        """Start accepting on a port for one kind of listener."""
        if kind == "tls-mixed":
            return MixedTLSServer.start(self.state, self.address, port, ctx)
        factory: Callable[[], asyncio.Protocol]
        if kind.startswith("tls-"):

            def factory(p: int = port, t: bool = kind == "tls-terminate") -> asyncio.Protocol:
                return TLSListenerConnection(self.state, p, t)
        else:

            def factory(p: int = port, t: bool = kind == "https") -> asyncio.Protocol:
                return Http1Connection(self.state, p, t)

        loop = asyncio.get_running_loop()
        return await loop.create_server(
            factory, self.address, port, ssl=ctx, reuse_port=True, backlog=1024
        )

    async def apply(self, table: CompiledTable) -> None:
        """Open new ports, swap the table, close ports that disappeared; atomic per request."""
        wanted = self.served_ports(table)
        opened: dict[int, tuple[PortServer, str]] = {}
        try:
            for port, kind in wanted.items():
                current = self.servers.get(port)
                signature = self.port_signature(table, port, kind)
                if current is not None and current[1] == signature:
                    continue
                server = await self._open(port, kind, self._context(port, kind, table))
                if current is not None:
                    # Protocol or client validation changed: the new socket is already
                    # accepting (SO_REUSEPORT), so closing the old one refuses nobody.
                    current[0].close()
                    self.servers.pop(port)
                opened[port] = (server, signature)
        except OSError:
            for server, _ in opened.values():
                server.close()
            raise
        self.servers.update(opened)
        self.state.table = table
        keys = table.endpoint_keys()
        self.state.pool.prune(keys)
        self.state.forwarder.h2_pool.prune(keys)
        for port in list(self.servers):
            if port not in wanted:
                self.servers.pop(port)[0].close()


DRAIN_TIMEOUT = 10.0


async def serve(control_fd: int, address: str) -> None:
    """Read tables from the control socket until the parent goes away or SIGTERM drains us."""
    state = WorkerState()
    listeners = ListenerSet(state, address)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    async def reap() -> None:
        while True:
            await asyncio.sleep(5)
            state.reap_idle(loop.time())

    routes = RouteParseCache()  # unchanged route entries are not validated again
    in_force: TableState | None = None  # the table in force, which patches apply to

    async def control() -> None:
        nonlocal in_force
        sock = socket.socket(fileno=control_fd)
        reader, writer = await asyncio.open_unix_connection(sock=sock, limit=2**20)
        writer.write(b"ready\n")
        await writer.drain()
        while True:
            line = await reader.readline()
            if not line:
                return  # the parent is gone
            raw = await reader.readexactly(int(line))
            try:
                doc = json.loads(raw)
                patch = isinstance(doc, dict) and is_patch(doc)
                new_state = advance(in_force, doc, routes, patch)
                # The table in force only spares work: candidates of unchanged routes are kept.
                compiled = CompiledTable(new_state.table, state.table)
                await listeners.apply(compiled)
                in_force = new_state
                answer = f"ok {compiled.version}\n"
            except (ValueError, OSError) as exc:
                answer = "err " + str(exc).replace("\n", " ") + "\n"
            writer.write(answer.encode())
            await writer.drain()

    reaper = loop.create_task(reap())
    controller = loop.create_task(control())
    stopper = loop.create_task(stop.wait())
    await asyncio.wait([controller, stopper], return_when=asyncio.FIRST_COMPLETED)
    reaper.cancel()
    controller.cancel()
    stopper.cancel()
    # drain: no new connections; finish requests in flight, close idle keep-alives
    listeners.close()
    deadline = loop.time() + DRAIN_TIMEOUT
    while state.drain_step() and loop.time() < deadline:
        await asyncio.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    """Entry point of a worker process (started by the supervisor)."""
    parser = argparse.ArgumentParser(prog="reference_impl.proxy.worker")
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--listen-address", default="0.0.0.0")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s worker %(levelname)s %(message)s",
    )
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    import uvloop

    uvloop.run(serve(args.control_fd, args.listen_address))
    return 0


if __name__ == "__main__":
    sys.exit(main())
