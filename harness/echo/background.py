"""Run an echo server on its own event loop in a thread (for tests and embedding)."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from harness.echo.config import EchoConfig
from harness.echo.server import EchoServer, serve

__all__ = ["BackgroundEchoServer"]


class BackgroundEchoServer:
    """Context manager: start the server in a daemon thread, stop it on exit.

    ``ports`` maps listener names ("http", "h2c", "https", "grpc", "grpcs", "tcp", "tls",
    "udp") to the bound port numbers, so port 0 in the config picks free ports.
    """

    def __init__(self, config: EchoConfig, *, start_timeout: float = 10.0) -> None:
        self.config = config
        self.ports: dict[str, int] = {}
        self._start_timeout = start_timeout
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="echo-server", daemon=True)

    def __enter__(self) -> BackgroundEchoServer:
        self._thread.start()
        if not self._ready.wait(self._start_timeout):
            raise TimeoutError(f"echo server did not start within {self._start_timeout} s")
        if self._error is not None:
            raise self._error
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the server and wait for its thread."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=15)

    def _run(self) -> None:
        import uvloop

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await serve(self.config, stop=self._stop, ready=self._started)

        try:
            uvloop.run(main())
        except BaseException as err:  # reported to the starting thread
            self._error = err
        finally:
            self._ready.set()

    def _started(self, server: EchoServer) -> None:
        self.ports = dict(server.ports)
        self._ready.set()
