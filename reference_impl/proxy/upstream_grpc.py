"""Streaming gRPC exchanges with backends: request frames out and response frames back as they come.

Each call is one stream on a pooled HTTP/2 connection (h2c, or h2 over TLS with Backend.tls;
see h2_pool). The request body is sent while the response is relayed, so client-, server- and
bidirectional streaming calls work; trailers (`grpc-status`, `grpc-message`) end the relayed
response.
"""

from __future__ import annotations

from reference_impl.proxy.body import BodyStream
from reference_impl.proxy.h2_pool import H2Pool, ResponseSink
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
        "te",
    }
)


async def grpc_exchange(
    pool: H2Pool,
    endpoint: Endpoint,
    method: str,
    target: str,
    authority: str,
    headers: Headers,
    body: bytes | BodyStream,
    tls: BackendTLS | None,
    sink: ResponseSink,
) -> None:
    """Run one call; UpstreamError before the response headers, else the sink sees the end.

    An error after the headers raises UpstreamError too; the caller then aborts the client
    stream (the response cannot be taken back).
    """
    out = [
        (":method", method),
        (":scheme", "http" if tls is None else "https"),
        (":authority", authority),
        (":path", target),
    ]
    out.extend((n.lower(), v) for n, v in headers if n.lower() not in _DROP)
    out.append(("te", "trailers"))  # gRPC servers may insist; the client's was hop-by-hop
    try:
        await pool.exchange(endpoint, tls, out, body, sink)
    finally:
        if isinstance(body, BodyStream) and not body.done:
            body.abandon()
