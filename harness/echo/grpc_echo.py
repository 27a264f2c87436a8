"""The gRPC echo service (GrpcEcho) served over the HTTP/2 front end, answering like grpc-go."""

from __future__ import annotations

import base64
import binascii
import gzip
import struct
import urllib.parse

from harness.echo.config import PodContext
from harness.echo.grpc_proto import SERVICE, EchoRequest, EchoResponse
from harness.echo.http2 import StreamHandler, StreamReply, StreamRequest, StreamResult
from harness.echo.log_lines import log_line

__all__ = ["GrpcStatus", "grpc_stream_handler"]


class GrpcStatus:
    """The gRPC status codes this server sends."""

    OK = 0
    INVALID_ARGUMENT = 3
    UNIMPLEMENTED = 12
    INTERNAL = 13


_IMPLEMENTED = frozenset({"Echo", "EchoTwo"})
_DECLARED = frozenset({"Echo", "EchoTwo", "EchoThree"})
# grpc-go keeps these request fields out of the metadata it hands to handlers.
_RESERVED = frozenset(
    {
        "grpc-encoding",
        "grpc-timeout",
        "grpc-message-type",
        "grpc-message",
        "grpc-status",
        "grpc-status-details-bin",
        "te",
        "connection",
    }
)
_GRPC_CONTENT_TYPE = (b"content-type", b"application/grpc")


def _encode_grpc_message(message: str) -> bytes:
    # grpc-go percent-encodes bytes outside printable ASCII and '%'.
    return urllib.parse.quote(message, safe=" !\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~").encode()


def _error(code: int, message: str, http_status: int = 200) -> StreamReply:
    return StreamReply(
        headers=[
            (b":status", str(http_status).encode()),
            _GRPC_CONTENT_TYPE,
            (b"grpc-status", str(code).encode()),
            (b"grpc-message", _encode_grpc_message(message)),
        ]
    )


def _decode_metadata(name: str, value: bytes) -> str:
    if name.endswith("-bin"):
        try:
            raw = base64.b64decode(value + b"=" * (-len(value) % 4), validate=False)
        except (binascii.Error, ValueError):
            raw = value
        return raw.decode("utf-8", "replace")
    return value.decode("utf-8", "replace")


def _first_message(body: bytes, encoding: str) -> bytes | str:
    """The payload of the first length-prefixed message, or an error text."""
    if len(body) < 5:
        return "grpc: received message is missing"
    compressed, length = struct.unpack(">BI", body[:5])
    payload = body[5 : 5 + length]
    if len(payload) < length:
        return "grpc: received message is truncated"
    if compressed:
        if encoding != "gzip":
            return "grpc: compressed flag set with identity or empty encoding"
        try:
            return gzip.decompress(payload)
        except OSError as err:
            return f"grpc: failed to decompress the received message: {err}"
    return payload


def grpc_stream_handler(context: PodContext, *, tls: bool) -> StreamHandler:
    """A stream handler serving GrpcEcho with the given pod context."""
    connection_type = "TLS" if tls else "plaintext"

    def handle(stream: StreamRequest) -> StreamResult:
        method_name = path = content_type = authority = encoding = ""
        metadata: dict[str, list[str]] = {}
        for raw_name, raw_value in stream.headers:
            name = raw_name.decode("latin-1")
            if name == ":method":
                method_name = raw_value.decode("latin-1")
            elif name == ":path":
                path = raw_value.decode("utf-8", "replace")
            elif name == ":authority":
                authority = raw_value.decode("utf-8", "replace")
                metadata.setdefault(name, []).append(authority)
            elif name.startswith(":"):
                continue
            elif name == "grpc-encoding":
                encoding = raw_value.decode("latin-1")
            elif name not in _RESERVED:
                if name == "content-type":
                    content_type = raw_value.decode("latin-1")
                metadata.setdefault(name, []).append(_decode_metadata(name, raw_value))
        if not (
            content_type == "application/grpc"
            or content_type.startswith("application/grpc+")
            or content_type.startswith("application/grpc;")
        ):
            return _error(
                GrpcStatus.INVALID_ARGUMENT,
                f"invalid gRPC request content-type {content_type!r}".replace("'", '"'),
                415,
            )
        if method_name != "POST":
            return _error(GrpcStatus.INTERNAL, f'invalid gRPC request method "{method_name}"', 405)
        service, _, method = path.lstrip("/").rpartition("/")
        if service != SERVICE:
            return _error(GrpcStatus.UNIMPLEMENTED, f"unknown service {service}")
        if method not in _DECLARED:
            message = f"unknown method {method} for service {service}"
            return _error(GrpcStatus.UNIMPLEMENTED, message)
        payload = _first_message(stream.body, encoding)
        if isinstance(payload, str):
            return _error(GrpcStatus.INTERNAL, payload)
        request = EchoRequest()
        try:
            request.ParseFromString(payload)
        except Exception as err:  # protobuf raises its DecodeError
            return _error(GrpcStatus.INTERNAL, f"grpc: error unmarshalling request: {err}")
        if method not in _IMPLEMENTED:
            return _error(GrpcStatus.UNIMPLEMENTED, f"method {method} not implemented")
        log_line(f"Received over {connection_type}: {request}".rstrip("\n"))
        response = EchoResponse()
        assertions = response.assertions
        assertions.fully_qualified_method = f"/{SERVICE}/{method}"
        for key, values in metadata.items():
            for value in values:
                assertions.headers.add(key=key, value=value)
        assertions.authority = authority
        assertions.context.namespace = context.namespace
        assertions.context.ingress = context.ingress
        assertions.context.service_name = context.service
        assertions.context.pod = context.pod
        if stream.tls is not None:
            facts = stream.tls
            tls_assertions = assertions.tls_assertions
            tls_assertions.version = facts.version
            tls_assertions.negotiated_protocol = facts.negotiated_protocol
            tls_assertions.server_name = facts.server_name
            tls_assertions.cipher_suite = facts.cipher_suite
            tls_assertions.peer_certificates.extend(facts.peer_certificates)
        data = response.SerializeToString()
        return StreamReply(
            headers=[(b":status", b"200"), _GRPC_CONTENT_TYPE],
            body=struct.pack(">BI", 0, len(data)) + data,
            trailers=[(b"grpc-status", b"0")],
        )

    return handle
