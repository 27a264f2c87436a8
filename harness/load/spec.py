"""What a load run should do: the validated, immutable input of `run_load`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_OPEN_LOOP_CONNECTIONS = 64
DEFAULT_TIMEOUT_S = 10.0  # upstream conformance RequestTimeout


class LoadMode(StrEnum):
    """How requests are issued."""

    OPEN = "open"  # fixed arrival rate, latency from the intended send time
    CLOSED = "closed"  # N connections, each sends its next request when the last one ends


@dataclass(frozen=True)
class TlsSettings:
    """How to verify an HTTPS target."""

    ca_file: Path | None = None  # PEM bundle; None means the system store
    server_name: str | None = None  # SNI and the name the certificate must match
    insecure: bool = False  # skip certificate verification entirely


@dataclass(frozen=True)
class LoadSpec:
    """One load run against one URL."""

    url: str
    duration_s: float
    mode: LoadMode = LoadMode.CLOSED
    rate: float | None = None  # open loop only: total requests/s over all workers
    connections: int | None = None  # closed: users; open: most requests in flight
    workers: int | None = None  # worker processes; None means one per usable CPU core
    keepalive: bool = True  # False opens a new connection for every request
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    host_header: str | None = None  # overrides Host (and the default SNI)
    tls: TlsSettings = field(default_factory=TlsSettings)
    expect_status: frozenset[int] | None = None  # None: any status below 400 passes
    timeout_s: float = DEFAULT_TIMEOUT_S  # connect and per-read timeout

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme

    @property
    def target_host(self) -> str:
        host = urlsplit(self.url).hostname
        assert host is not None  # checked by _validate
        return host

    @property
    def target_port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def request_target(self) -> str:
        """The path and query sent on the request line."""
        parts = urlsplit(self.url)
        path = parts.path or "/"
        return f"{path}?{parts.query}" if parts.query else path

    @property
    def effective_connections(self) -> int:
        if self.connections is not None:
            return self.connections
        return DEFAULT_OPEN_LOOP_CONNECTIONS

    @property
    def effective_workers(self) -> int:
        """Worker processes actually started: never more than there are connections."""
        wanted = self.workers if self.workers is not None else len(os.sched_getaffinity(0))
        return max(1, min(wanted, self.effective_connections))

    @property
    def sni_name(self) -> str:
        return self.tls.server_name or self.host_header or self.target_host


@dataclass(frozen=True)
class DistributedSettings:
    """Run the workers on other machines through locust's master/worker protocol.

    Start ``python -m harness.load.remote_worker --master-host H --master-port P``
    on each generator machine (one per core); the engine's master waits for
    ``expect_workers`` of them.
    """

    expect_workers: int
    bind_host: str = "127.0.0.1"  # the address the remote workers connect to
    bind_port: int = 5557  # locust's default master port
    join_timeout_s: float = 60.0

    def __post_init__(self) -> None:
        if self.expect_workers <= 0:
            raise ValueError(
                f"DistributedSettings.expect_workers is invalid (got {self.expect_workers!r}): "
                "give the number of remote workers you start, at least 1"
            )
        if not 0 < self.bind_port < 65536:
            raise ValueError(
                f"DistributedSettings.bind_port is invalid (got {self.bind_port!r}): "
                "use a TCP port from 1 to 65535"
            )
        if not self.join_timeout_s > 0:
            raise ValueError(
                f"DistributedSettings.join_timeout_s is invalid (got {self.join_timeout_s!r}): "
                "give the seconds to wait for the workers, e.g. 60"
            )


def _fail(field_name: str, got: object, fix: str) -> ValueError:
    return ValueError(f"LoadSpec.{field_name} is invalid (got {got!r}): {fix}")


def _validate(spec: LoadSpec) -> None:
    parts = urlsplit(spec.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _fail("url", spec.url, "give an absolute http:// or https:// URL with a host")
    try:
        _ = parts.port
    except ValueError as exc:
        raise _fail("url", spec.url, f"the port is not a number ({exc})") from None
    if not isinstance(spec.mode, LoadMode):
        raise _fail("mode", spec.mode, "use LoadMode.OPEN or LoadMode.CLOSED")
    if not spec.duration_s > 0:
        raise _fail("duration_s", spec.duration_s, "set the run length in seconds, e.g. 10")
    if spec.mode is LoadMode.OPEN:
        if spec.rate is None or not spec.rate > 0:
            raise _fail("rate", spec.rate, "open loop needs a target rate in requests/s, e.g. 500")
    elif spec.rate is not None:
        raise _fail(
            "rate", spec.rate, "closed loop runs as fast as it can; drop rate or use LoadMode.OPEN"
        )
    if spec.mode is LoadMode.CLOSED and spec.connections is None:
        raise _fail("connections", None, "closed loop needs the number of connections, e.g. 10")
    if spec.connections is not None and spec.connections <= 0:
        raise _fail("connections", spec.connections, "use at least 1 connection")
    if spec.workers is not None and spec.workers <= 0:
        raise _fail("workers", spec.workers, "use at least 1 worker, or None for one per core")
    if not spec.timeout_s > 0:
        raise _fail("timeout_s", spec.timeout_s, "set a positive timeout in seconds, e.g. 10")
    if not spec.method or not spec.method.isalpha():
        raise _fail("method", spec.method, "use an HTTP method name such as GET or POST")
    for name, value in spec.headers.items():
        if not name or any(c in name + value for c in "\r\n") or ":" in name:
            raise _fail("headers", {name: value}, "header names and values carry no CR, LF or ':'")
    if spec.expect_status is not None and (
        not spec.expect_status or any(not 100 <= s <= 599 for s in spec.expect_status)
    ):
        raise _fail("expect_status", spec.expect_status, "give HTTP status codes from 100 to 599")
    if spec.tls.ca_file is not None and not Path(spec.tls.ca_file).is_file():
        raise _fail("tls.ca_file", str(spec.tls.ca_file), "point it at an existing PEM file")
