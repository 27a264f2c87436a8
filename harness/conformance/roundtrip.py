"""Compare one response with what a test expects (semantics of upstream's CompareRoundTrip)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from harness.conformance.http_client import HttpRequest, HttpResponse

_DEFAULT_PORTS = {"http": "80", "https": "443"}


@dataclasses.dataclass(frozen=True)
class ExpectedRedirect:
    """Expected Location parts; empty means upstream's default (see ``compare_redirect``)."""

    scheme: str = ""
    host: str = ""
    port: str = ""
    path: str = ""


@dataclasses.dataclass(frozen=True)
class ExpectedResponse:
    """What a response must show. ``None``/empty fields are not checked.

    ``path``/``method``/``host`` describe the request the backend should see
    (default: the request as sent); ``backend`` is a pod-name prefix.
    """

    status: tuple[int, ...] = (200,)
    backend: str = ""
    namespace: str | None = None
    path: str | None = None
    method: str | None = None
    host: str | None = None
    request_headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    absent_request_headers: Sequence[str] = ()
    response_headers: Mapping[str, str | Sequence[str]] = dataclasses.field(default_factory=dict)
    absent_response_headers: Sequence[str] = ()
    ignore_whitespace: bool = False
    http_port: str = ""
    protocol: str = ""
    sni: str = ""
    client_cert_pem: str = ""
    redirect: ExpectedRedirect | None = None
    # The Gateway itself must answer (e.g. a CORS preflight): an echo body means the
    # request was forwarded to a backend, which fails (upstream expects no captured path).
    answered_by_gateway: bool = False

    def describe(self) -> str:
        parts = [f"status in {list(self.status)}"]
        if self.backend:
            parts.append(f"served by {self.backend}")
        if self.namespace:
            parts.append(f"in namespace {self.namespace}")
        if self.path is not None:
            parts.append(f"backend sees path {self.path!r}")
        if self.request_headers:
            parts.append(f"request headers {dict(self.request_headers)}")
        if self.absent_request_headers:
            parts.append(f"no request headers {list(self.absent_request_headers)}")
        if self.response_headers:
            parts.append(f"response headers {dict(self.response_headers)}")
        if self.absent_response_headers:
            parts.append(f"no response headers {list(self.absent_response_headers)}")
        if self.redirect:
            parts.append(f"redirect to {self.redirect}")
        if self.answered_by_gateway:
            parts.append("answered by the Gateway (not forwarded)")
        return ", ".join(parts)


def _echo_header(echo_headers: Mapping[str, object], name: str) -> str | None:
    for key, value in echo_headers.items():
        if key.lower() == name.lower():
            if isinstance(value, list):
                return ",".join(str(v) for v in value)
            return str(value)
    return None


def _norm(value: str, ignore_whitespace: bool) -> str:
    return "".join(value.split()) if ignore_whitespace else value


def compare_round_trip(
    request: HttpRequest, expected: ExpectedResponse, response: HttpResponse
) -> str | None:
    """None when ``response`` is what ``expected`` says, else the first difference."""
    if response.status not in expected.status:
        return f"expected status {list(expected.status)}, got {response.status}"
    if expected.protocol and response.protocol != expected.protocol:
        return f"expected protocol {expected.protocol}, got {response.protocol}"
    if response.client_certificate_requested is False:
        # Upstream's client hook must have run: a certificate offered is one presented.
        return "the Gateway never asked for the client certificate the request offered"
    if expected.answered_by_gateway and response.echo is not None:
        return (
            f"a backend answered (echo from pod {response.echo.get('pod')!r}, path "
            f"{response.echo.get('path')!r}); the Gateway must answer this request itself"
        )
    if response.status in (200, 204) and response.status in expected.status:
        problem = _compare_echo(request, expected, response)
        if problem:
            return problem
    if 300 <= response.status < 400 and expected.redirect is not None:
        return compare_redirect(request, expected.redirect, response)
    return _compare_response_headers(expected, response)


def _compare_echo(
    request: HttpRequest, expected: ExpectedResponse, response: HttpResponse
) -> str | None:
    echo = response.echo
    if echo is None:
        if response.status == 204 or not _wants_echo(expected):
            return None
        ctype = response.header("Content-Type")
        return f"expected an echo JSON body, got Content-Type {ctype!r}"
    want_path = expected.path if expected.path is not None else request.path
    if echo.get("path") != want_path:
        return f"backend saw path {echo.get('path')!r}, expected {want_path!r}"
    want_method = expected.method or request.method
    if echo.get("method") != want_method:
        return f"backend saw method {echo.get('method')!r}, expected {want_method!r}"
    if expected.host is not None and echo.get("host") != expected.host:
        return f"backend saw host {echo.get('host')!r}, expected {expected.host!r}"
    if expected.namespace is not None and echo.get("namespace") != expected.namespace:
        return f"served from namespace {echo.get('namespace')!r}, expected {expected.namespace!r}"
    if expected.backend and not str(echo.get("pod", "")).startswith(expected.backend):
        return f"served by pod {echo.get('pod')!r}, expected a pod of {expected.backend!r}"
    if expected.http_port and echo.get("httpPort") != expected.http_port:
        return f"backend port {echo.get('httpPort')!r}, expected {expected.http_port!r}"
    headers = echo.get("headers") or {}
    if not isinstance(headers, dict):
        return "echo JSON has no headers object"
    for name, value in expected.request_headers.items():
        seen = _echo_header(headers, name)
        if seen is None:
            return f"backend did not receive header {name!r} (expected {value!r})"
        if _norm(seen, expected.ignore_whitespace) != _norm(value, expected.ignore_whitespace):
            return f"backend received {name}: {seen!r}, expected {value!r}"
    for name in expected.absent_request_headers:
        seen = _echo_header(headers, name)
        if seen is not None:
            return f"backend received header {name}: {seen!r}, expected it absent"
    tls = echo.get("tls") or {}
    if expected.sni and tls.get("serverName") != expected.sni:
        return f"backend saw SNI {tls.get('serverName')!r}, expected {expected.sni!r}"
    if expected.client_cert_pem and expected.client_cert_pem not in (
        tls.get("peerCertificates") or []
    ):
        return "backend did not see the expected client certificate"
    return None


def _wants_echo(expected: ExpectedResponse) -> bool:
    return bool(
        expected.backend
        or expected.namespace
        or expected.request_headers
        or expected.absent_request_headers
        or expected.path is not None
    )


def _compare_response_headers(expected: ExpectedResponse, response: HttpResponse) -> str | None:
    for name, want in expected.response_headers.items():
        seen = response.header(name)
        if seen is None:
            return f"response lacks header {name!r}"
        options = [want] if isinstance(want, str) else list(want)
        norm_seen = _norm(seen, expected.ignore_whitespace)
        if not any(norm_seen == _norm(o, expected.ignore_whitespace) for o in options):
            return f"response header {name}: {seen!r}, expected one of {options!r}"
    for name in expected.absent_response_headers:
        seen = response.header(name)
        if seen is not None:
            return f"response has header {name}: {seen!r}, expected it absent"
    return None


def compare_redirect(
    request: HttpRequest, expected: ExpectedRedirect, response: HttpResponse
) -> str | None:
    """Location parts, compared as upstream's CompareRoundTrip does.

    Unset host, scheme and path default to the Location's host, the request's
    scheme and the request's path (without its query). An unset port accepts
    an absent port or the Location scheme's well-known one (80 for http, 443
    for https; any port for another scheme); a set port must equal the
    Location's port exactly, so an expected "443" refuses an absent port. The
    path is compared without the query unless the expected path has one.
    """
    got = response.redirect
    if got is None:
        return f"expected a Location header on the {response.status} response"
    if expected.host and got.host != expected.host:
        return f"redirect host {got.host!r}, expected {expected.host!r}"
    if expected.port:
        if got.port != expected.port:
            return f"redirect port {got.port!r}, expected {expected.port!r}"
    else:
        default_port = _DEFAULT_PORTS.get(got.scheme.lower())
        if default_port is not None and got.port not in ("", default_port):
            return f"redirect port {got.port!r}: for {got.scheme} expected none or {default_port}"
    scheme = expected.scheme or request.scheme
    if got.scheme != scheme:
        return f"redirect scheme {got.scheme!r}, expected {scheme!r}"
    want_path = expected.path or request.path.partition("?")[0]
    got_path = got.path
    if "?" in want_path:
        got_path = f"{got.path}?{got.query}" if got.query else got.path
    if got_path != want_path:
        return f"redirect path {got_path!r}, expected {want_path!r}"
    return None


def backend_of_pod(pod: str) -> str:
    """Deployment name of a pod: its name minus the last two ``-`` segments (as upstream)."""
    parts = pod.split("-")
    return "-".join(parts[:-2]) if len(parts) > 2 else pod
