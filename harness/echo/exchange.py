"""What a protocol front end hands to the echo handlers and what it gets back."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = ["ConnectionAction", "RawReply", "Reply", "Request", "TLSAssertions"]


@dataclass(frozen=True)
class TLSAssertions:
    """The TLS facts upstream reports about a connection."""

    version: str
    peer_certificates: tuple[str, ...]
    server_name: str
    negotiated_protocol: str
    cipher_suite: str


@dataclass(slots=True)
class Request:
    """One parsed HTTP request, in the terms of Go's http.Request."""

    method: str
    request_uri: str  # the request target as sent (Go's r.RequestURI)
    host: str
    proto: str  # "HTTP/1.1", "HTTP/1.0" or "HTTP/2.0"
    headers: dict[str, list[str]]  # canonical names in arrival order
    remote_addr: str  # "ip:port", IPv6 in brackets
    body: bytes = b""
    tls: TLSAssertions | None = None
    is_http2: bool = False

    def header(self, name: str) -> str:
        """Return the first value of a canonical header name, like Go's Header.Get."""
        values = self.headers.get(name)
        return values[0] if values else ""


@dataclass(slots=True)
class Reply:
    """A complete response; header names are written as given (Go keeps map keys as set)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass(slots=True)
class RawReply:
    """Bytes written verbatim on a hijacked HTTP/1 connection, which is then closed."""

    data: bytes


class ConnectionAction(enum.Enum):
    """Outcomes that are not an HTTP response."""

    RESET = "reset"  # HTTP/1: abort the connection (TCP RST); HTTP/2: reset the stream
    WEBSOCKET = "websocket"  # HTTP/1: switch the connection to the websocket echo
