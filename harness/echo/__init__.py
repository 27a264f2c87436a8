"""The project's echo server: answers exactly like upstream Gateway API ``echo-basic``.

Start it in-process with ``await serve(EchoConfig.from_env(env))`` (or ``EchoServer`` for
bound ports), or as a process with ``python -m harness.echo`` (reads the environment).
"""

from __future__ import annotations

from harness.echo.background import BackgroundEchoServer
from harness.echo.config import EchoConfig, EchoConfigError, EchoMode, PodContext
from harness.echo.server import EchoServer, run, serve

__all__ = [
    "BackgroundEchoServer",
    "EchoConfig",
    "EchoConfigError",
    "EchoMode",
    "EchoServer",
    "PodContext",
    "run",
    "serve",
]
