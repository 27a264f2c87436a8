"""HTTP/2 prior-knowledge cleartext (h2c) exchanges with backends whose appProtocol says so."""

from __future__ import annotations

import asyncio
import ssl

import h2.config
import h2.connection
import h2.events
import h2.exceptions

from reference_impl.proxy.backend_tls import BackendTLSError, client_context, verify_peer
from reference_impl.proxy.upstream import UpstreamError, UpstreamTLSError
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


async def h2c_exchange(
    endpoint: Endpoint,
    method: str,
    target: str,
    authority: str,
    headers: Headers,
    body: bytes,
    tls: BackendTLS | None = None,
) -> tuple[int, Headers, bytes, Headers | None]:
    """One request on a fresh HTTP/2 connection (h2c, or h2 over TLS with `tls`).

    Returns (status, headers, body, trailers). A TLS handshake or verification failure raises
    UpstreamError: there is never a plaintext fallback.
    """
    reader, writer = await open_h2(endpoint, tls)
    conn = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
    )
    try:
        conn.initiate_connection()
        sid = conn.get_next_available_stream_id()
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
        conn.send_headers(sid, out, end_stream=not body)
        writer.write(conn.data_to_send())
        remaining = memoryview(body)
        status = 0
        resp_headers: Headers = []
        trailers: Headers | None = None
        data = bytearray()
        ended = False
        while True:
            while remaining:
                window = min(conn.local_flow_control_window(sid), conn.max_outbound_frame_size)
                if window <= 0:
                    break
                conn.send_data(sid, bytes(remaining[:window]), end_stream=len(remaining) <= window)
                remaining = remaining[window:]
            writer.write(conn.data_to_send())
            if ended:
                break
            chunk = await reader.read(65536)
            if not chunk:
                raise UpstreamError("h2c backend closed the connection")
            for ev in conn.receive_data(chunk):
                if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == sid:
                    for n, v in ev.headers:
                        if str(n) == ":status":
                            status = int(v)
                        else:
                            resp_headers.append((str(n), str(v)))
                elif isinstance(ev, h2.events.DataReceived) and ev.stream_id == sid:
                    data += ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, sid)
                elif isinstance(ev, h2.events.TrailersReceived) and ev.stream_id == sid:
                    trailers = [(str(n), str(v)) for n, v in ev.headers]
                elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
                    ended = True
                elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == sid:
                    raise UpstreamError(f"h2c backend reset the stream (code {ev.error_code})")
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    raise UpstreamError("h2c backend ended the connection")
        return status, resp_headers, bytes(data), trailers
    except (h2.exceptions.ProtocolError, OSError) as exc:
        raise UpstreamError(f"h2c exchange failed: {exc}") from exc
    finally:
        writer.close()


async def open_h2(
    endpoint: Endpoint, tls: BackendTLS | None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection for HTTP/2: plain TCP (h2c), or TLS with ALPN h2 verified per `tls`."""
    try:
        if tls is None:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(endpoint.ip, endpoint.port), 5
            )
        else:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    endpoint.ip,
                    endpoint.port,
                    ssl=client_context(tls, ("h2",)),
                    server_hostname=tls.hostname,
                ),
                5,
            )
    except ssl.SSLError as exc:
        raise UpstreamTLSError(f"TLS to {endpoint.ip}:{endpoint.port} failed: {exc}") from exc
    except (OSError, TimeoutError) as exc:
        raise UpstreamError(f"cannot connect to {endpoint.ip}:{endpoint.port}: {exc}") from exc
    if tls is not None:
        sslobj = writer.get_extra_info("ssl_object")
        try:
            verify_peer(tls, sslobj.getpeercert(binary_form=True) if sslobj else None)
        except BackendTLSError as exc:
            writer.close()
            raise UpstreamTLSError(f"backend TLS verification failed: {exc}") from exc
    return reader, writer
