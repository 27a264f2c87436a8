"""TCP (and TLS passthrough/terminate) checks against the echo server's TCP mode.

Protocol of upstream's echo TCP mode: on connect the server sends
``Gateway API Test TCP Server``; ``PING`` answers ``PONG``, ``IS_TLS`` answers
``true``/``false`` and ``TEST`` answers one JSON object naming the namespace and pod.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import time
from typing import Any

from harness.conformance.http_client import (
    DEFAULT_ALLOWED_NETWORKS,
    TlsSettings,
    check_destination,
    split_address,
    wrap_tls,
)
from harness.conformance.timeouts import TimeoutConfig

WELCOME = "Gateway API Test TCP Server"


@dataclasses.dataclass(frozen=True)
class TcpEcho:
    """What one TCP exchange showed."""

    welcome: str
    pong: str
    is_tls: str
    test: dict[str, Any]

    @property
    def pod(self) -> str:
        return str(self.test.get("pod", ""))


def _line(reader: Any) -> str:
    raw = reader.readline()
    if not raw:
        raise ConnectionError("the connection closed before the echo server answered")
    return str(raw.decode().rstrip("\r\n"))


def exchange(
    address: str, tls: TlsSettings | None = None, timeout: float = 10.0, *, allowed: Any = None
) -> TcpEcho:
    """Connect (optionally TLS with SNI), read the welcome, send PING, IS_TLS and TEST."""
    host, port = split_address(address)
    check_destination(host, allowed or DEFAULT_ALLOWED_NETWORKS)
    raw = socket.create_connection((host, port), timeout=timeout)
    sock: socket.socket = wrap_tls(raw, tls) if tls else raw
    with sock, sock.makefile("rb") as reader:
        welcome = _line(reader)
        answers = []
        for command in ("PING", "IS_TLS", "TEST"):
            sock.sendall(command.encode() + b"\n")
            answers.append(_line(reader))
    try:
        test = json.loads(answers[2])
    except ValueError as exc:
        raise ValueError(f"TEST answer is not JSON: {answers[2]!r}") from exc
    return TcpEcho(welcome, answers[0], answers[1], test if isinstance(test, dict) else {})


def compare(echo: TcpEcho, backend: str, namespace: str, tls: bool | None) -> str | None:
    """None when the exchange reached a pod of ``backend`` in ``namespace`` (TLS as wanted)."""
    if echo.welcome != WELCOME:
        return f"welcome {echo.welcome!r}, expected {WELCOME!r}"
    if echo.pong != "PONG":
        return f"PING answered {echo.pong!r}"
    if tls is not None and echo.is_tls != ("true" if tls else "false"):
        return f"IS_TLS answered {echo.is_tls!r}, expected {str(tls).lower()}"
    if echo.test.get("namespace") != namespace:
        return f"namespace {echo.test.get('namespace')!r}, expected {namespace!r}"
    if not echo.pod.startswith(backend + "-"):
        return f"pod {echo.pod!r} is not a pod of {backend!r}"
    return None


def must_reach(
    address: str,
    backend: str,
    namespace: str,
    timeouts: TimeoutConfig,
    *,
    tls: TlsSettings | None = None,
    backend_sees_tls: bool | None = None,
) -> TcpEcho:
    """A single matching exchange within MaxTimeToConsistency (upstream's Eventually)."""
    deadline = time.monotonic() + timeouts.MaxTimeToConsistency
    problem = "no attempt finished"
    while time.monotonic() < deadline:
        try:
            echo = exchange(address, tls, timeouts.RequestTimeout)
        except (OSError, ConnectionError, ValueError) as exc:
            problem = f"{exc.__class__.__name__}: {exc}"
        else:
            problem = compare(echo, backend, namespace, backend_sees_tls) or ""
            if not problem:
                return echo
        time.sleep(timeouts.DefaultPollInterval)
    raise AssertionError(
        f"TCP{'+TLS' if tls else ''} to {address} did not reach {backend} in {namespace} "
        f"within {timeouts.MaxTimeToConsistency:g}s: {problem}"
    )


def must_be_rejected(address: str, tls: TlsSettings, timeouts: TimeoutConfig) -> None:
    """The Gateway refuses this TLS connection (reset, EOF or failed handshake) in time."""
    deadline = time.monotonic() + timeouts.MaxTimeToConsistency
    while time.monotonic() < deadline:
        try:
            echo = exchange(address, tls, timeouts.RequestTimeout)
        except (OSError, ConnectionError, ValueError):
            return
        del echo
        time.sleep(timeouts.DefaultPollInterval)
    raise AssertionError(
        f"TLS with SNI {tls.server_name!r} to {address} kept being accepted for "
        f"{timeouts.MaxTimeToConsistency:g}s; expected the Gateway to reject it"
    )
