"""WriteBatch: writes of one loop iteration leave together, in order; closing flushes first."""

from __future__ import annotations

import asyncio
import socket

from reference_impl.proxy.write_batch import WriteBatch


class RecordingTransport:
    """Just what WriteBatch uses of a transport."""

    def __init__(self, log: list[tuple[str, bytes]], name: str, fail: bool = False) -> None:
        self.log = log
        self.name = name
        self.fail = fail
        self.closing = False

    def write(self, data: bytes) -> None:
        if self.fail:
            raise RuntimeError("broken")
        self.log.append((self.name, data))

    def is_closing(self) -> bool:
        return self.closing


def test_writes_wait_for_the_end_of_the_iteration_and_keep_their_order() -> None:
    async def scenario() -> tuple[list[tuple[str, bytes]], list[tuple[str, bytes]]]:
        log: list[tuple[str, bytes]] = []
        a, b = RecordingTransport(log, "a"), RecordingTransport(log, "b")
        batch = WriteBatch()
        batch.write(a, b"1")  # type: ignore[arg-type]
        batch.write(b, b"2")  # type: ignore[arg-type]
        batch.write(a, b"3")  # type: ignore[arg-type]
        during = list(log)
        await asyncio.sleep(0)
        return during, log

    during, after = asyncio.run(scenario())
    assert during == []
    assert after == [("a", b"1"), ("b", b"2"), ("a", b"3")]


def test_closed_and_broken_transports_lose_only_their_own_writes() -> None:
    async def scenario() -> list[tuple[str, bytes]]:
        log: list[tuple[str, bytes]] = []
        gone, broken, fine = (
            RecordingTransport(log, "gone"),
            RecordingTransport(log, "broken", fail=True),
            RecordingTransport(log, "fine"),
        )
        batch = WriteBatch()
        for t in (gone, broken, fine):
            batch.write(t, b"x")  # type: ignore[arg-type]
        gone.closing = True
        await asyncio.sleep(0)
        return log

    assert asyncio.run(scenario()) == [("fine", b"x")]


def test_an_early_flush_sends_everything_and_later_writes_still_go_out() -> None:
    async def scenario() -> list[tuple[str, bytes]]:
        log: list[tuple[str, bytes]] = []
        t = RecordingTransport(log, "t")
        batch = WriteBatch()
        batch.write(t, b"before-close")  # type: ignore[arg-type]
        batch.flush()  # what a connection does right before it closes
        assert log == [("t", b"before-close")]
        batch.write(t, b"next")  # type: ignore[arg-type]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return log

    assert asyncio.run(scenario()) == [("t", b"before-close"), ("t", b"next")]


def test_real_sockets_receive_the_batched_bytes_in_order() -> None:
    async def scenario() -> bytes:
        left, right = socket.socketpair()
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_connection(asyncio.Protocol, sock=left)
        batch = WriteBatch()
        for i in range(50):
            batch.write(transport, b"%02d;" % i)  # type: ignore[arg-type]
        await asyncio.sleep(0.05)
        right.setblocking(False)
        data = right.recv(4096)
        transport.close()
        right.close()
        return data

    assert asyncio.run(scenario()) == b"".join(b"%02d;" % i for i in range(50))
