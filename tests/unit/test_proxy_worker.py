"""A worker's listener set in-process: idle reaping, 408, bind failures keep the old table."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from reference_impl.proxy.http1 import IDLE_TIMEOUT, REQUEST_READ_TIMEOUT
from reference_impl.proxy.routing import CompiledTable
from reference_impl.proxy.worker import ListenerSet
from reference_impl.proxy.worker_state import WorkerState
from reference_impl.routing_table import Endpoint, parse
from tests.unit.test_proxy_support import free_port, http_listener, route, rule

pytestmark = pytest.mark.timeout(60)


def table(version: int, *ports: int) -> CompiledTable:
    doc: dict[str, Any] = {
        "version": version,
        "gateway": {"namespace": "g", "name": "g"},
        "listeners": [http_listener(p, []) for p in ports],
    }
    return CompiledTable(parse(doc))


async def _read_all(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.read(), 5)


def test_reaper_answers_408_to_a_stuck_request_and_closes_idle_connections() -> None:
    async def scenario() -> tuple[bytes, bytes, bytes]:
        loop = asyncio.get_running_loop()
        state = WorkerState()
        listeners = ListenerSet(state, "127.0.0.1")
        port = free_port()
        await listeners.apply(table(1, port))
        stuck_r, stuck_w = await asyncio.open_connection("127.0.0.1", port)
        stuck_w.write(b"GET / HTTP/1.1\r\nHost: a\r\n")
        idle_r, idle_w = await asyncio.open_connection("127.0.0.1", port)
        idle_w.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        first = await asyncio.wait_for(idle_r.readuntil(b"request\n"), 5)  # the 404 text
        await asyncio.sleep(0.1)
        state.reap_idle(loop.time() + 1)  # nothing is old enough yet
        state.reap_idle(loop.time() + max(IDLE_TIMEOUT, REQUEST_READ_TIMEOUT) + 1)
        stuck = await _read_all(stuck_r)
        idle_rest = await _read_all(idle_r)
        for w in (stuck_w, idle_w):
            w.close()
        return first, stuck, idle_rest

    first, stuck, idle_rest = asyncio.run(scenario())
    assert first.startswith(b"HTTP/1.1 404 ")
    assert stuck.startswith(b"HTTP/1.1 408 ")
    assert idle_rest == b""  # closed without another response


def test_a_port_that_cannot_be_bound_leaves_the_old_table() -> None:
    async def scenario() -> tuple[int, bool]:
        state = WorkerState()
        listeners = ListenerSet(state, "127.0.0.1")
        good = free_port()
        await listeners.apply(table(1, good))
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        try:
            with pytest.raises(OSError):
                await listeners.apply(table(2, good, taken))
        finally:
            blocker.close()
        assert state.table is not None
        return state.table.version, good in listeners.servers

    version, still_serving = asyncio.run(scenario())
    assert version == 1 and still_serving


def test_idle_connections_to_vanished_endpoints_are_closed() -> None:
    async def scenario() -> tuple[bool, bool]:
        state = WorkerState()
        listeners = ListenerSet(state, "127.0.0.1")
        kept_server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        gone_server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        kept_port = kept_server.sockets[0].getsockname()[1]
        gone_port = gone_server.sockets[0].getsockname()[1]
        kept = await state.pool.connect(Endpoint("127.0.0.1", kept_port))
        gone = await state.pool.connect(Endpoint("127.0.0.1", gone_port))
        state.pool.put_back(kept)
        state.pool.put_back(gone)
        doc: dict[str, Any] = {
            "version": 1,
            "gateway": {"namespace": "g", "name": "g"},
            "listeners": [
                http_listener(
                    free_port(),
                    [
                        route(
                            "r",
                            [
                                rule(
                                    0,
                                    [
                                        {
                                            "name": "b",
                                            "weight": 1,
                                            "valid": True,
                                            "endpoints": [{"ip": "127.0.0.1", "port": kept_port}],
                                        }
                                    ],
                                )
                            ],
                        )
                    ],
                )
            ],
        }
        await listeners.apply(CompiledTable(parse(doc)))
        await asyncio.sleep(0.05)
        listeners.close()
        kept_server.close()
        gone_server.close()
        return kept.closed, gone.closed

    kept_closed, gone_closed = asyncio.run(scenario())
    assert not kept_closed and gone_closed
