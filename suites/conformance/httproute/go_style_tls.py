"""HTTPS traffic that checks the server name the way upstream's Go client does.

Workaround for a framework gap: ``harness.conformance.http_client`` verifies
names with OpenSSL, which refuses a wildcard directly above a top-level domain
(``*.org``), while Go's crypto/x509 (upstream's client) accepts it. The base
certificate ``tls-validity-checks-certificate`` is issued for ``*`` and
``*.org`` like upstream's, so ``example.org`` fails here but passes upstream.
The chain is still verified against the pinned certificate; only the name
check is done by hand, with Go's rules.
"""

from __future__ import annotations

import dataclasses
import socket
import ssl
from collections.abc import Mapping

from harness.conformance.http_client import (
    HttpRequest,
    HttpResponse,
    _decode,
    _send_h2,
    _send_http1,
    _tls_context,
    check_destination,
    split_address,
)
from harness.conformance.traffic import Traffic


def go_name_matches(pattern: str, host: str) -> bool:
    """crypto/x509 matchHostnames: equal label counts, ``*`` only as the whole first label."""
    pattern_labels = pattern.lower().rstrip(".").split(".")
    host_labels = host.lower().rstrip(".").split(".")
    if len(pattern_labels) != len(host_labels) or not host:
        return False
    for index, (want, got) in enumerate(zip(pattern_labels, host_labels, strict=True)):
        if index == 0 and want == "*":
            continue
        if want != got:
            return False
    return True


def subject_dns_names(peer: Mapping[str, object]) -> list[str]:
    """The DNS names in a ``getpeercert()`` dict's subjectAltName."""
    entries = peer.get("subjectAltName", ())
    if not isinstance(entries, tuple):
        return []
    return [str(entry[1]) for entry in entries if len(entry) == 2 and entry[0] == "DNS"]


@dataclasses.dataclass
class GoStyleTlsTraffic(Traffic):
    """Traffic whose HTTPS requests (HTTP/1.1 or HTTP/2) verify the server name like Go."""

    def send_once(self, request: HttpRequest) -> HttpResponse:
        if request.tls is None or request.protocol not in ("HTTP/1.1", "H2"):
            return super().send_once(request)
        host, port = split_address(self.address)
        check_destination(host, self.allowed_networks)
        timeout = self.timeouts.RequestTimeout
        # The framework's context (trust anchor, client certificate, ALPN) minus its name check.
        context = _tls_context(request.tls, ("h2",) if request.protocol == "H2" else ())
        context.check_hostname = False  # done below, with Go's rules
        name = request.tls.server_name
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=name) as sock,
        ):
            dns_names = subject_dns_names(sock.getpeercert() or {})
            if not any(go_name_matches(pattern, name) for pattern in dns_names):
                raise ssl.SSLCertVerificationError(
                    f"certificate names {dns_names} do not cover {name!r}"
                )
            exchange = _send_h2 if request.protocol == "H2" else _send_http1
            response = exchange(sock, self.address, request, timeout)
        _decode(response, request, self.address)
        return response


def go_style(traffic: Traffic) -> GoStyleTlsTraffic:
    """``traffic`` with Go-style server name checks."""
    fields = {f.name: getattr(traffic, f.name) for f in dataclasses.fields(Traffic)}
    return GoStyleTlsTraffic(**fields)
