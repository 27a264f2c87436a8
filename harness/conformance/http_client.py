"""One HTTP exchange per fresh connection (no keep-alive), as upstream's round tripper does.

HTTP/1.1 (optionally over TLS with SNI and a trusted CA), HTTP/2 over TLS, and
HTTP/2 prior knowledge (h2c). Echo-server JSON is parsed only when the response's
Content-Type is exactly ``application/json``.
"""

from __future__ import annotations

import dataclasses
import http.client
import ipaddress
import json
import socket
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import h2.config
import h2.connection
import h2.events

ECHO_SET_HEADER = "X-Echo-Set-Header"
DEFAULT_ALLOWED_NETWORKS = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
    ipaddress.ip_network("198.18.0.0/15"),
)


class DestinationRefused(RuntimeError):
    """The harness will not send traffic to this address."""


@dataclasses.dataclass(frozen=True)
class TlsSettings:
    """Client TLS: the SNI to send, the CA to trust, an optional client certificate."""

    server_name: str
    ca_pem: str
    client_cert_pem: str = ""
    client_key_pem: str = ""
    alpn: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class HttpRequest:
    """What to send. ``path`` includes any query string; ``host`` overrides the Host header."""

    path: str = "/"
    method: str = "GET"
    host: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    protocol: str = "HTTP/1.1"  # or "H2C_PRIOR_KNOWLEDGE", "H2" (needs tls)
    tls: TlsSettings | None = None
    echo_set_headers: tuple[tuple[str, str], ...] = ()
    user_agent: str = "gateway-harness"

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"


@dataclasses.dataclass(frozen=True)
class Redirect:
    """The parts of a Location header."""

    scheme: str
    host: str
    port: str
    path: str
    query: str = ""


@dataclasses.dataclass
class HttpResponse:
    """What came back, with the echo server's JSON when there was some."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    protocol: str
    echo: dict[str, Any] | None = None
    redirect: Redirect | None = None
    client_certificate_requested: bool | None = None
    """Whether the server asked for the client certificate the request offered (None: it
    offered none)."""

    def header_values(self, name: str) -> list[str]:
        lowered = name.lower()
        return [v for k, v in self.headers if k.lower() == lowered]

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return ",".join(values) if values else None

    @property
    def pod(self) -> str:
        return str((self.echo or {}).get("pod", ""))

    def summary(self) -> str:
        """One line for failure messages: status, backend and the interesting headers."""
        parts = [f"status {self.status}"]
        if self.echo is not None:
            parts.append(
                f"served by pod {self.echo.get('pod')!r} in namespace "
                f"{self.echo.get('namespace')!r} (path {self.echo.get('path')!r}, "
                f"host {self.echo.get('host')!r})"
            )
        location = self.header("Location")
        if location:
            parts.append(f"Location {location!r}")
        shown = ", ".join(f"{k}: {v}" for k, v in self.headers[:12])
        parts.append(f"headers {{{shown}}}")
        return "; ".join(parts)


def split_address(address: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` → (host, port)."""
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        return host, int(rest.lstrip(":"))
    host, _, port = address.rpartition(":")
    if not host:
        raise ValueError(f"address {address!r} lacks a port; write host:port")
    return host, int(port)


def check_destination(
    host: str, allowed: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> None:
    """Refuse any destination outside ``allowed`` (hostnames are resolved first)."""
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
    for address in addresses:
        if not any(address in network for network in allowed):
            networks = ", ".join(map(str, allowed))
            raise DestinationRefused(
                f"refusing to send traffic to {host} ({address}): outside {networks}"
            )


def host_header(request: HttpRequest, address: str) -> str:
    """The Host to send: the override, else the address, minus a default port."""
    host = request.host or address
    default = ":443" if request.tls else ":80"
    return host[: -len(default)] if host.endswith(default) else host


def _request_headers(request: HttpRequest) -> list[tuple[str, str]]:
    echo = ",".join(f"{k}:{v}" for k, v in request.echo_set_headers)
    headers = [(k, v) for k, v in request.headers]
    headers.append((ECHO_SET_HEADER, echo))
    return headers


@dataclasses.dataclass
class HandshakeRecord:
    """What a TLS handshake showed beyond its outcome."""

    certificate_requested: bool = False
    """The server sent a CertificateRequest (a client only presents a certificate then, as
    upstream's client hook records)."""


def _record_certificate_request(context: ssl.SSLContext, record: HandshakeRecord) -> None:
    def observe(
        conn: object,
        direction: str,
        version: object,
        content_type: object,
        msg_type: object,
        data: bytes,
    ) -> None:
        del conn, version, content_type, data
        if direction == "read" and msg_type == ssl._TLSMessageType.CERTIFICATE_REQUEST:  # type: ignore[attr-defined]
            record.certificate_requested = True

    # ssl offers no public hook into handshake messages; this one is CPython's own (3.8+).
    setattr(context, "_msg_callback", observe)  # noqa: B010


def _tls_context(
    tls: TlsSettings, alpn: tuple[str, ...], record: HandshakeRecord | None = None
) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=tls.ca_pem)
    if record is not None:
        _record_certificate_request(context, record)
    if tls.client_cert_pem:
        import os
        import tempfile

        # ssl only loads client credentials from files; keep them private and short-lived.
        with tempfile.TemporaryDirectory(prefix="gwh-client-cert-") as folder:
            cert = os.path.join(folder, "client.pem")
            fd = os.open(cert, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(tls.client_cert_pem + "\n" + tls.client_key_pem)
            context.load_cert_chain(cert)
    if alpn or tls.alpn:
        context.set_alpn_protocols(list(alpn or tls.alpn))
    return context


def name_matches(pattern: str, name: str) -> bool:
    """Go crypto/x509's host name rule (upstream's client): same label count, ``*`` only
    as the whole first label. OpenSSL refuses ``*.org`` for ``example.org``; Go accepts it."""
    want = pattern.lower().rstrip(".").split(".")
    got = name.lower().rstrip(".").split(".")
    if not name or len(want) != len(got):
        return False
    return all(
        w == g or (i == 0 and w == "*") for i, (w, g) in enumerate(zip(want, got, strict=True))
    )


def verify_server_name(peer: Mapping[str, Any], name: str) -> None:
    """Raise SSLCertVerificationError unless the certificate's SANs cover ``name``."""
    sans = peer.get("subjectAltName", ()) or ()
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        dns = [str(value) for kind, value in sans if kind == "DNS"]
        if any(name_matches(pattern, name) for pattern in dns):
            return
        raise ssl.SSLCertVerificationError(
            f"certificate for {dns} does not cover server name {name!r}"
        ) from None
    ips = [str(value).strip() for kind, value in sans if kind == "IP Address"]
    if not any(ipaddress.ip_address(ip) == address for ip in ips):
        raise ssl.SSLCertVerificationError(f"certificate IPs {ips} do not cover {name}")


def wrap_tls(
    sock: socket.socket,
    tls: TlsSettings,
    alpn: tuple[str, ...] = (),
    record: HandshakeRecord | None = None,
) -> ssl.SSLSocket:
    """TLS over ``sock``: the chain checked by OpenSSL against the CA, the name the Go way."""
    context = _tls_context(tls, alpn, record)
    context.check_hostname = False  # checked below, with Go's rules
    try:
        wrapped = context.wrap_socket(sock, server_hostname=tls.server_name or None)
    except BaseException:
        sock.close()
        raise
    try:
        if tls.server_name:
            verify_server_name(wrapped.getpeercert() or {}, tls.server_name)
    except BaseException:
        wrapped.close()
        raise
    return wrapped


def _connect(
    host: str, port: int, request: HttpRequest, timeout: float, record: HandshakeRecord | None
) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout)
    if request.tls is None:
        return sock
    alpn = ("h2",) if request.protocol == "H2" else ()
    return wrap_tls(sock, request.tls, alpn, record)


def send(
    address: str,
    request: HttpRequest,
    timeout: float = 10.0,
    *,
    allowed_networks: tuple[
        ipaddress.IPv4Network | ipaddress.IPv6Network, ...
    ] = DEFAULT_ALLOWED_NETWORKS,
    record: HandshakeRecord | None = None,
) -> HttpResponse:
    """Send one request on a new connection to ``address`` (host:port) and close it.

    ``record`` (filled in even when the request fails) tells whether the server asked for
    the client certificate the request offers.
    """
    host, port = split_address(address)
    check_destination(host, allowed_networks)
    offered = request.tls is not None and bool(request.tls.client_cert_pem)
    if offered and record is None:
        record = HandshakeRecord()
    sock = _connect(host, port, request, timeout, record)
    try:
        if request.protocol == "HTTP/1.1":
            response = _send_http1(sock, address, request, timeout)
        elif request.protocol in ("H2C_PRIOR_KNOWLEDGE", "H2"):
            response = _send_h2(sock, address, request, timeout)
        else:
            raise ValueError(
                f"unknown protocol {request.protocol!r}; use HTTP/1.1, H2 or H2C_PRIOR_KNOWLEDGE"
            )
    finally:
        sock.close()
    _decode(response, request, address)
    if offered and record is not None:
        response.client_certificate_requested = record.certificate_requested
    return response


class _Http1(http.client.HTTPConnection):
    """An HTTPConnection over a socket we already opened (plain or TLS)."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        super().__init__("unused", timeout=timeout)
        self.sock = sock

    def connect(self) -> None:  # the socket is connected already
        return None


def _send_http1(
    sock: socket.socket, address: str, request: HttpRequest, timeout: float
) -> HttpResponse:
    conn = _Http1(sock, timeout)
    conn.putrequest(request.method, request.path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", host_header(request, address))
    # Like Go's DisableKeepAlives: say so, and never reuse the connection.
    conn.putheader("Connection", "close")
    conn.putheader("User-Agent", request.user_agent)
    for name, value in _request_headers(request):
        conn.putheader(name, value)
    if request.body:
        conn.putheader("Content-Length", str(len(request.body)))
    conn.endheaders(request.body or None)
    resp = conn.getresponse()
    body = resp.read()
    headers = [(k, v) for k, v in resp.getheaders()]
    return HttpResponse(resp.status, headers, body, "HTTP/1.1")


def _send_h2(
    sock: socket.socket, address: str, request: HttpRequest, timeout: float
) -> HttpResponse:
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    headers = [
        (":method", request.method),
        (":scheme", request.scheme),
        (":authority", host_header(request, address)),
        (":path", request.path),
        ("user-agent", request.user_agent),
    ]
    headers += [(k.lower(), v) for k, v in _request_headers(request)]
    stream_id = conn.get_next_available_stream_id()
    conn.send_headers(stream_id, headers, end_stream=not request.body)
    if request.body:
        conn.send_data(stream_id, request.body, end_stream=True)
    sock.sendall(conn.data_to_send())
    status = 0
    got_headers: list[tuple[str, str]] = []
    body = bytearray()
    sock.settimeout(timeout)
    done = False
    while not done:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the HTTP/2 connection before the response")
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream_id:
                for raw_name, raw_value in event.headers:
                    name = raw_name.decode() if isinstance(raw_name, bytes) else raw_name
                    value = raw_value.decode() if isinstance(raw_value, bytes) else raw_value
                    if name == ":status":
                        status = int(value)
                    else:
                        got_headers.append((name, value))
            elif isinstance(event, h2.events.DataReceived) and event.stream_id == stream_id:
                body += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, stream_id)
            elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream_id:
                done = True
            elif isinstance(event, h2.events.StreamReset) and event.stream_id == stream_id:
                raise ConnectionError(f"the server reset the stream (error {event.error_code})")
        outgoing = conn.data_to_send()
        if outgoing:
            sock.sendall(outgoing)
    return HttpResponse(status, got_headers, bytes(body), "HTTP/2.0")


def _decode(response: HttpResponse, request: HttpRequest, address: str) -> None:
    # Exactly application/json, as upstream: anything else is not an echo body.
    if response.header("Content-Type") == "application/json":
        try:
            parsed = json.loads(response.body)
        except ValueError:
            parsed = None
        response.echo = parsed if isinstance(parsed, dict) else None
    if 300 <= response.status < 400:
        location = response.header("Location")
        if location:
            response.redirect = parse_location(location, request, address)


def parse_location(location: str, request: HttpRequest, address: str) -> Redirect:
    """Location parts as Go's ``resp.Location()`` gives them (upstream's client).

    A relative Location is resolved against the URL that was dialled (the
    Gateway address, its port dropped when it is the scheme's default), not
    against the Host header; the path is percent-decoded like Go's ``URL.Path``.
    """
    parts = urlsplit(location)
    if parts.netloc:
        host = parts.hostname or ""
        port = str(parts.port) if parts.port else ""
    else:
        host, dialled_port = split_address(address)
        default = 443 if request.tls else 80
        port = "" if dialled_port == default else str(dialled_port)
    return Redirect(parts.scheme or request.scheme, host, port, unquote(parts.path), parts.query)
