"""A request body that is still arriving: streamed to the backend with client backpressure."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable

_HIGH_WATER = 1024 * 1024
_LOW_WATER = 256 * 1024


class BodyStream:
    """Chunks from the client parser to one reader; pauses the client while too much is queued."""

    def __init__(
        self, length: int | None, pause: Callable[[], None], resume: Callable[[], None]
    ) -> None:
        self.length = length  # Content-Length, or None for chunked
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.done = False
        self.abandoned = False
        self.paused = False
        self.waiter: asyncio.Future[None] | None = None
        self._pause = pause
        self._resume = resume

    def feed(self, chunk: bytes) -> None:
        """A piece from the client."""
        if self.abandoned:
            return
        self.chunks.append(chunk)
        self.buffered += len(chunk)
        if self.buffered > _HIGH_WATER and not self.paused:
            self.paused = True
            self._pause()
        self._wake()

    def finish(self) -> None:
        """The client sent the whole body."""
        self.done = True
        self._wake()

    def abandon(self) -> None:
        """Nobody will read: drop what comes (the answer did not need the body)."""
        self.abandoned = True
        self.chunks.clear()
        self.buffered = 0
        if self.paused:
            self.paused = False
            self._resume()

    def take_whole(self) -> bytes | None:
        """What is left of the body, at once, when it has all arrived; else None."""
        if not self.done or self.abandoned or self.waiter is not None:
            return None
        data = b"".join(self.chunks)
        self.chunks.clear()
        self.buffered = 0
        if self.paused:
            self.paused = False
            self._resume()
        return data

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def read(self) -> bytes | None:
        """The next chunk, or None at the end."""
        while not self.chunks:
            if self.done:
                return None
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
            self.waiter = None
        chunk = self.chunks.popleft()
        self.buffered -= len(chunk)
        if self.paused and self.buffered < _LOW_WATER:
            self.paused = False
            self._resume()
        return chunk

    async def read_all(self) -> bytes:
        """The whole body (for retries and mirrors, which must resend it)."""
        parts = []
        while (chunk := await self.read()) is not None:
            parts.append(chunk)
        return b"".join(parts)
