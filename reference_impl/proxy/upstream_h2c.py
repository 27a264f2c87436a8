"""HTTP/2 prior-knowledge cleartext (h2c) exchanges with backends whose appProtocol says so."""

from __future__ import annotations

from reference_impl.proxy.h2_pool import H2Pool
from reference_impl.routing_table import BackendTLS, Endpoint

Headers = list[tuple[str, str]]

_DROP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


class _Collected:
    """A whole response gathered from its stream."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: Headers = []
        self.data = bytearray()
        self.trailers: Headers | None = None

    def on_response(self, status: int, headers: Headers, ended: bool) -> None:
        self.status = status
        self.headers = headers

    def on_data(self, data: bytes) -> None:
        self.data += data

    def on_end(self, trailers: Headers | None) -> None:
        self.trailers = trailers


async def h2c_exchange(
    pool: H2Pool,
    endpoint: Endpoint,
    method: str,
    target: str,
    authority: str,
    headers: Headers,
    body: bytes,
    tls: BackendTLS | None = None,
) -> tuple[int, Headers, bytes, Headers | None]:
    """One request on a pooled HTTP/2 connection (h2c, or h2 over TLS with `tls`).

    Returns (status, headers, body, trailers). A TLS handshake or verification failure raises
    UpstreamError: there is never a plaintext fallback.
    """
    out = [
        (":method", method),
        (":scheme", "http" if tls is None else "https"),
        (":authority", authority),
        (":path", target),
    ]
    for name, value in headers:
        lower = name.lower()
        if lower == "te" and value.lower() != "trailers":
            continue
        if lower not in _DROP:
            out.append((lower, value))
    response = _Collected()
    await pool.exchange(endpoint, tls, out, body, response)
    return response.status, response.headers, bytes(response.data), response.trailers
