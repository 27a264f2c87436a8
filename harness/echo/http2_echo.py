"""Adapt HTTP/2 streams to the echo handlers the way Go's HTTP/2 server builds requests."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from harness.echo.exchange import ConnectionAction, RawReply, Reply, Request
from harness.echo.go_http import canonical_header_key, http_date, is_valid_header_name
from harness.echo.http2 import StreamReply, StreamRequest, StreamResult
from harness.echo.http_handlers import MaybeDeferred, Outcome

__all__ = ["http2_stream_handler"]

# Connection-specific fields Go's HTTP/2 server never sends.
_DROPPED_RESPONSE_FIELDS = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}
)
_NO_BODY_STATUSES = frozenset({204, 304})


def _to_request(stream: StreamRequest) -> Request:
    method = path = authority = ""
    headers: dict[str, list[str]] = {}
    for raw_name, raw_value in stream.headers:
        name = raw_name.decode("latin-1")
        value = raw_value.decode("utf-8", "replace")
        if name.startswith(":"):
            if name == ":method":
                method = value
            elif name == ":path":
                path = value
            elif name == ":authority":
                authority = value
            continue
        key = canonical_header_key(name)
        headers.setdefault(key, []).append(value)
    cookies = headers.get("Cookie")
    if cookies is not None and len(cookies) > 1:
        headers["Cookie"] = ["; ".join(cookies)]  # Go joins split cookie fields
    if not authority:
        authority = headers.get("Host", [""])[0]
    return Request(
        method=method,
        request_uri=path,
        host=authority,
        proto="HTTP/2.0",
        headers=headers,
        remote_addr=stream.remote_addr,
        body=stream.body,
        tls=stream.tls,
        is_http2=True,
    )


def _to_stream_reply(method: str, outcome: Outcome) -> StreamReply:
    if not isinstance(outcome, Reply):
        # Hijack-style outcomes cannot happen on HTTP/2; Go resets the stream.
        return StreamReply(headers=[], reset=True)
    reply = outcome
    informational: list[list[tuple[bytes, bytes]]] = []
    if 100 <= reply.status < 200:
        informational.append([(b":status", str(reply.status).encode())])
        reply = Reply(200)
    fields: list[tuple[bytes, bytes]] = [(b":status", str(reply.status).encode())]
    for name, value in sorted(reply.headers, key=lambda item: item[0]):
        lower = name.lower()
        if not is_valid_header_name(name) or lower in _DROPPED_RESPONSE_FIELDS:
            continue
        clean = value.replace("\r", " ").replace("\n", " ").strip(" \t")
        fields.append((lower.encode(), clean.encode("utf-8", "replace")))
    body = reply.body
    if reply.status in _NO_BODY_STATUSES or method == "HEAD":
        body = b""
    else:
        fields.append((b"content-length", str(len(reply.body)).encode()))
    fields.append((b"date", http_date()))
    return StreamReply(headers=fields, body=body, informational=informational)


async def _later(method: str, pending: Coroutine[Any, Any, Outcome]) -> StreamReply:
    return _to_stream_reply(method, await pending)


def http2_stream_handler(
    handler: Callable[[Request], MaybeDeferred],
) -> Callable[[StreamRequest], StreamResult]:
    """Wrap an echo handler so H2Protocol can call it with raw streams."""

    def handle(stream: StreamRequest) -> StreamResult:
        request = _to_request(stream)
        result = handler(request)
        if isinstance(result, Reply | RawReply | ConnectionAction):
            return _to_stream_reply(request.method, result)
        return _later(request.method, result)

    return handle
