"""Names for the ways a request can fail, and the mapping from exceptions to them."""

from __future__ import annotations

import errno
import socket
import ssl

CONNECT = "connect"  # refused, unroutable, name not resolved, connect timed out
RESET = "reset"  # reset by the peer, or closed before a full response
TIMEOUT = "timeout"  # no (complete) response within the timeout
TLS = "tls"  # handshake or certificate failure
PROTOCOL = "protocol"  # the bytes that came back are not valid HTTP
OTHER = "other"

_CONNECT_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL}
)
_RESET_ERRNOS = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})


def status_class(status: int) -> str:
    """The class of a response whose status code failed the check, e.g. ``http_503``."""
    return f"http_{status}"


def classify_exception(exc: BaseException, *, connected: bool) -> str:
    """Map a client exception to a failure class; ``connected`` says if a socket was open."""
    name = type(exc).__name__
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return TLS
    if isinstance(exc, TimeoutError | socket.timeout) or name == "Timeout":
        return TIMEOUT if connected else CONNECT
    if isinstance(exc, socket.gaierror | ConnectionRefusedError):
        return CONNECT
    if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return RESET
    if name in ("HTTPConnectionClosed", "IncompleteRead", "RemoteDisconnected"):
        return RESET
    if name in ("HTTPParseError", "BadStatusLine", "HTTPProtocolViolationError"):
        return PROTOCOL
    if isinstance(exc, OSError) and exc.errno is not None:
        if exc.errno in _CONNECT_ERRNOS:
            return CONNECT
        if exc.errno in _RESET_ERRNOS:
            return RESET
        if exc.errno == errno.ETIMEDOUT:
            return TIMEOUT if connected else CONNECT
    return OTHER
