"""H2Pool against a real HTTP/2 server on loopback: stream sharing, limits, refusals, resets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings
import pytest

from reference_impl.proxy.body import BodyStream
from reference_impl.proxy.h2_pool import IDLE_TIMEOUT, H2Pool, StreamRefused
from reference_impl.proxy.upstream import UpstreamError
from reference_impl.routing_table import Endpoint

pytestmark = pytest.mark.timeout(60)

T = TypeVar("T")
Headers = list[tuple[str, str]]


class ServerConnection(asyncio.Protocol):
    """Server side of one connection; answers per the owning server's script."""

    def __init__(self, server: H2TestServer) -> None:
        self.server = server
        self.h2 = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        self.transport: asyncio.Transport | None = None
        self.bodies: dict[int, bytearray] = {}
        self.refused: set[int] = set()
        self.index = len(server.connections)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.server.connections.append(self)
        if self.server.max_streams is not None:
            # in the first SETTINGS frame, as servers announce their limits
            self.h2.local_settings = h2.settings.Settings(
                client=False,
                initial_values={
                    h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: self.server.max_streams
                },
            )
        self.h2.initiate_connection()
        self.flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.closed += 1

    def flush(self) -> None:
        data = self.h2.data_to_send()
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        for ev in self.h2.receive_data(data):
            if isinstance(ev, h2.events.RequestReceived):
                self.server.streams += 1
                self.bodies[ev.stream_id] = bytearray()
                action = self.server.on_request(self, ev.stream_id)
                if action == "goaway":
                    self.h2.close_connection(last_stream_id=0)
                    self.flush()
                    assert self.transport is not None
                    self.transport.close()
                    return
                if action == "refuse":
                    self.h2.reset_stream(ev.stream_id, h2.errors.ErrorCodes.REFUSED_STREAM)
                    self.refused.add(ev.stream_id)
                elif action == "drop":
                    assert self.transport is not None
                    self.transport.close()
                    return
            elif isinstance(ev, h2.events.DataReceived) and ev.stream_id not in self.refused:
                self.bodies.setdefault(ev.stream_id, bytearray()).extend(ev.data)
                self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id not in self.refused:
                body = bytes(self.bodies.pop(ev.stream_id, b""))
                self.server.received.append(body)
                if self.server.hold is None:
                    self.answer(ev.stream_id, body)
                else:
                    self.server.held.append((self, ev.stream_id, body))
                    if len(self.server.held) >= self.server.hold:
                        self.server.release()
            elif isinstance(ev, h2.events.StreamReset):
                self.server.resets.append(ev.error_code)
        self.flush()

    def answer(self, stream_id: int, body: bytes) -> None:
        self.h2.send_headers(stream_id, [(":status", "200"), ("x-conn", str(self.index))])
        self.h2.send_data(stream_id, b"echo:" + body[:100])
        self.h2.send_headers(stream_id, [("grpc-status", "0")], end_stream=True)
        self.flush()


class H2TestServer:
    """A scripted HTTP/2 server: `script(conn_index, stream_id)` says what to do per request."""

    def __init__(
        self,
        script: Callable[[int, int], str] | None = None,
        max_streams: int | None = None,
        hold: int | None = None,
    ) -> None:
        self.script = script
        self.max_streams = max_streams
        self.hold = hold  # answer nothing until this many requests arrived (then all)
        self.connections: list[ServerConnection] = []
        self.streams = 0
        self.closed = 0
        self.received: list[bytes] = []
        self.resets: list[int] = []
        self.held: list[tuple[ServerConnection, int, bytes]] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    def on_request(self, conn: ServerConnection, stream_id: int) -> str:
        return self.script(conn.index, stream_id) if self.script else "answer"

    def release(self) -> None:
        held, self.held = self.held, []
        self.hold = None
        for conn, stream_id, body in held:
            conn.answer(stream_id, body)

    async def __aenter__(self) -> H2TestServer:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: ServerConnection(self), "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        for conn in self.connections:
            if conn.transport is not None:
                conn.transport.close()

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint("127.0.0.1", self.port)


class Collect:
    """A ResponseSink that keeps everything."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: Headers = []
        self.data = bytearray()
        self.trailers: Headers | None = None
        self.ended = False

    def on_response(self, status: int, headers: Headers, ended: bool) -> None:
        self.status, self.headers = status, headers

    def on_data(self, data: bytes) -> None:
        self.data += data

    def on_end(self, trailers: Headers | None) -> None:
        self.trailers, self.ended = trailers, True


REQUEST = [(":method", "POST"), (":scheme", "http"), (":authority", "b"), (":path", "/s/M")]


async def call(pool: H2Pool, server: H2TestServer, body: bytes | BodyStream = b"hi") -> Collect:
    sink = Collect()
    await pool.exchange(server.endpoint, None, list(REQUEST), body, sink)
    return sink


def run(coro: Callable[[], Awaitable[T]]) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro(), 30)

    return asyncio.run(bounded())


def streamed(*chunks: bytes) -> BodyStream:
    """A request body that is still arriving: fed piece by piece from the loop."""
    body = BodyStream(None, lambda: None, lambda: None)
    loop = asyncio.get_running_loop()
    for i, chunk in enumerate(chunks):
        loop.call_later(0.01 * (i + 1), body.feed, chunk)
    loop.call_later(0.01 * (len(chunks) + 1), body.finish)
    return body


def test_concurrent_calls_are_streams_of_one_connection() -> None:
    async def scenario() -> tuple[H2TestServer, list[Collect]]:
        async with H2TestServer(hold=20) as server:
            pool = H2Pool()
            sinks = await asyncio.gather(*(call(pool, server, b"n%d" % i) for i in range(20)))
            again = await call(pool, server)  # and the connection stays for the next call
            return server, [*sinks, again]

    server, sinks = run(scenario)
    assert len(server.connections) == 1 and server.streams == 21
    for i, sink in enumerate(sinks[:20]):
        assert sink.status == 200 and bytes(sink.data) == b"echo:n%d" % i
        assert sink.trailers == [("grpc-status", "0")] and sink.ended
    assert sinks[20].headers == [("x-conn", "0")]


def test_the_backend_stream_limit_spreads_calls_over_connections() -> None:
    async def scenario() -> H2TestServer:
        async with H2TestServer(max_streams=2, hold=5) as server:
            pool = H2Pool()
            sinks = await asyncio.gather(*(call(pool, server) for _ in range(5)))
            assert all(s.status == 200 for s in sinks)
            return server

    server = run(scenario)
    assert len(server.connections) == 3 and server.streams == 5
    assert not server.resets


def test_a_stream_above_goaway_is_sent_again_on_a_new_connection() -> None:
    async def scenario() -> tuple[H2TestServer, Collect, Collect]:
        script = lambda conn, _sid: "goaway" if conn == 0 else "answer"  # noqa: E731
        async with H2TestServer(script) as server:
            pool = H2Pool()
            whole = await call(pool, server, b"whole")
            server.script = lambda conn, _sid: "goaway" if conn == 1 else "answer"
            piecewise = await call(pool, server, streamed(b"a" * 10, b"b" * 10))
            return server, whole, piecewise

    server, whole, piecewise = run(scenario)
    assert bytes(whole.data) == b"echo:whole"
    assert bytes(piecewise.data) == b"echo:" + b"a" * 10 + b"b" * 10
    assert len(server.connections) == 3
    assert server.received == [b"whole", b"a" * 10 + b"b" * 10]


def test_a_refused_stream_is_sent_once_more_then_fails() -> None:
    async def scenario() -> tuple[H2TestServer, BaseException | None]:
        async with H2TestServer(lambda _c, _s: "refuse") as server:
            pool = H2Pool()
            try:
                await call(pool, server)
            except UpstreamError as exc:
                return server, exc
            return server, None

    server, exc = run(scenario)
    assert isinstance(exc, StreamRefused)
    assert server.streams == 2 and len(server.connections) == 1


def test_a_cancelled_call_resets_its_stream_and_leaves_the_connection_usable() -> None:
    async def scenario() -> tuple[H2TestServer, Collect]:
        async with H2TestServer(hold=2) as server:
            pool = H2Pool()
            task = asyncio.get_running_loop().create_task(call(pool, server))
            while not server.held:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            while not server.resets:
                await asyncio.sleep(0.01)
            server.hold = None
            server.held = []
            return server, await call(pool, server)

    server, later = run(scenario)
    assert server.resets == [h2.errors.ErrorCodes.CANCEL]
    assert later.status == 200 and len(server.connections) == 1


def test_a_dropped_connection_fails_its_calls_and_the_next_call_reconnects() -> None:
    async def scenario() -> tuple[H2TestServer, Any, Collect]:
        async with H2TestServer(lambda _c, _s: "drop") as server:
            pool = H2Pool()
            try:
                await call(pool, server)
                failure: Any = None
            except UpstreamError as exc:
                failure = exc
            server.script = None
            return server, failure, await call(pool, server)

    server, failure, later = run(scenario)
    assert isinstance(failure, UpstreamError) and not isinstance(failure, StreamRefused)
    assert later.status == 200 and len(server.connections) == 2


def test_a_body_larger_than_the_window_waits_for_window_updates() -> None:
    big = bytes(range(256)) * 1024  # 256 KiB: four times the initial window

    async def scenario() -> tuple[H2TestServer, Collect]:
        async with H2TestServer() as server:
            pool = H2Pool()
            return server, await call(pool, server, big)

    server, sink = run(scenario)
    assert server.received == [big]
    assert bytes(sink.data) == b"echo:" + big[:100]


def test_idle_and_vanished_connections_are_closed() -> None:
    async def scenario() -> tuple[int, int, int]:
        async with H2TestServer() as server:
            pool = H2Pool()
            await call(pool, server)
            loop = asyncio.get_running_loop()
            pool.reap_idle(loop.time())  # just used: kept
            await asyncio.sleep(0.05)
            kept = server.closed
            pool.reap_idle(loop.time() + IDLE_TIMEOUT + 1)
            while server.closed == kept:
                await asyncio.sleep(0.01)
            reaped = server.closed
            await call(pool, server)
            pool.prune({("127.0.0.1", server.port)})
            await asyncio.sleep(0.05)
            assert server.closed == reaped  # its endpoint is still in the table
            pool.prune(set())
            while server.closed == reaped:
                await asyncio.sleep(0.01)
            return kept, reaped, len(server.connections)

    kept, reaped, connections = run(scenario)
    assert (kept, reaped, connections) == (0, 1, 2)


def test_an_unreachable_backend_is_an_upstream_error() -> None:
    async def scenario() -> BaseException:
        async with H2TestServer() as server:
            port = server.port
        await asyncio.sleep(0.05)
        with pytest.raises(UpstreamError) as caught:
            await H2Pool().exchange(Endpoint("127.0.0.1", port), None, REQUEST, b"", Collect())
        return caught.value

    assert "cannot connect" in str(run(scenario))
