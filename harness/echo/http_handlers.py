"""The echo-basic HTTP handlers: routing, echo body, /health, /status, /retry, /ws checks."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
from collections.abc import Coroutine
from typing import Any

from harness.echo.config import PodContext
from harness.echo.exchange import ConnectionAction, RawReply, Reply, Request, TLSAssertions
from harness.echo.go_duration import parse_go_duration
from harness.echo.go_http import clean_path, go_json_string, status_text
from harness.echo.log_lines import log_line

__all__ = ["EchoHandlers", "MaybeDeferred", "Outcome", "is_deferred"]

Outcome = Reply | RawReply | ConnectionAction
MaybeDeferred = Outcome | Coroutine[Any, Any, Outcome]

_STATUS_URI_RE = re.compile(r"^/status/([0-9][0-9][0-9])$")
_GO_ATOI_RE = re.compile(r"^[+-]?[0-9]+$")
_BAD_ESCAPE_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_TEXT_PLAIN = ("Content-Type", "text/plain; charset=utf-8")
_JSON_HEADERS = [("Content-Type", "application/json"), ("X-Content-Type-Options", "nosniff")]
_FORM_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _go_atoi(text: str) -> int | None:
    if not _GO_ATOI_RE.match(text):
        return None
    value = int(text)
    return value if -(1 << 63) <= value < (1 << 63) else None


def _split_target(request_uri: str) -> tuple[str, str] | None:
    """Return (unescaped path, raw query) of a request target, or None if Go would reject it."""
    target = request_uri
    if not target.startswith("/"):
        if target == "*":
            return "*", ""
        parts = urllib.parse.urlsplit(target)
        if not parts.scheme:
            return None
        target = parts.path + ("?" + parts.query if parts.query else "")
    path, _, query = target.partition("?")
    if "%" in path:
        if _BAD_ESCAPE_RE.search(path):
            return None
        path = urllib.parse.unquote(path)
    return path, query


def _first(query: dict[str, list[str]], key: str) -> str:
    values = query.get(key)
    return values[0] if values else ""


def _parse_query(raw: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in urllib.parse.parse_qsl(raw, keep_blank_values=True):
        out.setdefault(key, []).append(value)
    return out


def _process_error(message: str, code: int) -> Reply:
    body = json.dumps({"message": message}, separators=(",", ":"), ensure_ascii=False)
    return Reply(code, list(_JSON_HEADERS), body.encode())


def _tls_json(tls: TLSAssertions) -> str:
    fields = [f'  "version": {go_json_string(tls.version)}']
    if tls.peer_certificates:
        certs = ",\n".join(f"   {go_json_string(pem)}" for pem in tls.peer_certificates)
        fields.append(f'  "peerCertificates": [\n{certs}\n  ]')
    fields.append(f'  "serverName": {go_json_string(tls.server_name)}')
    if tls.negotiated_protocol:
        fields.append(f'  "negotiatedProtocol": {go_json_string(tls.negotiated_protocol)}')
    fields.append(f'  "cipherSuite": {go_json_string(tls.cipher_suite)}')
    return "{\n" + ",\n".join(fields) + "\n }"


def _echo_set_headers(request: Request) -> list[tuple[str, str]]:
    """Response headers asked for with X-Echo-Set-Header ("Name:value,Name2:value2")."""
    merged: dict[str, str] = {}
    for header_list in request.headers.get("X-Echo-Set-Header", ()):
        for item in header_list.split(","):
            name, _, value = item.strip().partition(":")
            if name in merged:
                merged[name] += "," + value.strip()
            else:
                merged[name] = value.strip()
    return list(merged.items())


class EchoHandlers:
    """Shared state (context, retry counters) and the handlers of one echo server."""

    def __init__(self, context: PodContext, http_port: str) -> None:
        self._http_port = http_port
        self._context_json = (
            f' "httpPort": {go_json_string(http_port)},\n'
            f' "namespace": {go_json_string(context.namespace)},\n'
            f' "ingress": {go_json_string(context.ingress)},\n'
            f' "service": {go_json_string(context.service)},\n'
            f' "pod": {go_json_string(context.pod)}'
        )
        self._retry_attempts: dict[str, int] = {}
        # Upstream holds one mutex over the whole retry handler, delays included.
        self._retry_lock = asyncio.Lock()

    # -- entry points -------------------------------------------------------------------

    def handle(self, request: Request) -> MaybeDeferred:
        """The handler of the HTTP and HTTPS ports (ServeMux behind the // collapse)."""
        split = _split_target(request.request_uri)
        if split is None:
            return Reply(400, [_TEXT_PLAIN], b"400 Bad Request")
        raw_path, raw_query = split
        if raw_path == "*":
            if request.method == "OPTIONS":
                return Reply(200, [("Content-Length", "0")])
            return Reply(400, [_TEXT_PLAIN], b"400 Bad Request")
        path = raw_path.replace("//", "/")
        if request.method != "CONNECT":
            cleaned = clean_path(path) if "/." in path or "//" in path or not path else path
            if cleaned in ("/status", "/retry"):
                return self._redirect(request, cleaned + "/", raw_query)
            if cleaned != path:
                return self._redirect(request, cleaned, raw_query)
        if path == "/health":
            return Reply(200, [_TEXT_PLAIN], b"OK")
        if path == "/ws":
            return self._websocket(request)
        if path.startswith("/status/"):
            match = _STATUS_URI_RE.match(request.request_uri)
            return Reply(int(match.group(1)) if match else 400)
        if path.startswith("/retry/"):
            return self._retry(request, _parse_query(raw_query))
        return self.echo(request)

    def handle_h2c_port(self, request: Request) -> MaybeDeferred:
        """The handler of the h2c port: no mux, HTTP/1 only with ``Upgrade: h2c``."""
        if not request.is_http2 and request.header("Upgrade") != "h2c":
            return Reply(400, [_TEXT_PLAIN], b"Expected h2c request")
        return self.echo(request)

    # -- handlers -----------------------------------------------------------------------

    def echo(self, request: Request) -> MaybeDeferred:
        """Log the request and answer with its JSON description (after ``?delay=``)."""
        uri, remote = request.request_uri, request.remote_addr
        log_line(f"Echoing back request made to {uri} to client ({remote})")
        delay = self._form_value(request, "delay")
        if not delay:
            return self._echo_reply(request)
        try:
            nanos = parse_go_duration(delay)
        except ValueError as err:
            return _process_error(str(err), 500)
        return self._sleep_then(nanos, self._echo_reply(request))

    def echo_body(self, request: Request) -> bytes:
        """The indented JSON upstream returns (Go field order, sorted header names)."""
        if request.headers:
            entries = []
            for name in sorted(request.headers):
                values = ",\n".join(f"   {go_json_string(v)}" for v in request.headers[name])
                entries.append(f"  {go_json_string(name)}: [\n{values}\n  ]")
            headers_json = "{\n" + ",\n".join(entries) + "\n }"
        else:
            headers_json = "{}"
        tls_json = f',\n "tls": {_tls_json(request.tls)}' if request.tls is not None else ""
        text = (
            f'{{\n "path": {go_json_string(request.request_uri)},\n'
            f' "host": {go_json_string(request.host)},\n'
            f' "method": {go_json_string(request.method)},\n'
            f' "proto": {go_json_string(request.proto)},\n'
            f' "headers": {headers_json},\n'
            f"{self._context_json}{tls_json}\n}}"
        )
        return text.encode("utf-8", "replace")

    def _echo_reply(self, request: Request) -> Reply:
        headers = _echo_set_headers(request) if "X-Echo-Set-Header" in request.headers else []
        # Content-Type and X-Content-Type-Options are Set() after the echoed ones.
        headers = [h for h in headers if h[0] not in ("Content-Type", "X-Content-Type-Options")]
        return Reply(200, headers + _JSON_HEADERS, self.echo_body(request))

    def _retry(self, request: Request, query: dict[str, list[str]]) -> MaybeDeferred:
        uuid = _first(query, "uuid")
        if not uuid:
            return Reply(400, [_TEXT_PLAIN], b"uuid is required")
        succeed_after = _go_atoi(_first(query, "succeedAfter"))
        if succeed_after is None:
            return Reply(400, [_TEXT_PLAIN], b"succeedAfter is required")
        response_code = _go_atoi(_first(query, "responseCode"))
        return self._retry_attempt(request, uuid, succeed_after, response_code)

    async def _retry_attempt(
        self, request: Request, uuid: str, succeed_after: int, response_code: int | None
    ) -> Outcome:
        async with self._retry_lock:
            if self._retry_attempts.get(uuid, 0) < succeed_after:
                self._retry_attempts[uuid] = self._retry_attempts.get(uuid, 0) + 1
                delay = self._form_value(request, "delayRetry")
                if delay:
                    try:
                        nanos = parse_go_duration(delay)
                    except ValueError as err:
                        return _process_error(str(err), 500)
                    if nanos > 0:
                        await asyncio.sleep(nanos / 1e9)
                if response_code is not None:
                    if not 100 <= response_code <= 999:
                        # Go's WriteHeader panics on such codes and the connection is dropped.
                        return ConnectionAction.RESET
                    return Reply(response_code)
                if request.is_http2:
                    return _process_error("response writer does not support hijacking", 500)
                return ConnectionAction.RESET
            result = self.echo(request)
            if isinstance(result, Reply | RawReply | ConnectionAction):
                return result
            return await result

    def _websocket(self, request: Request) -> Outcome:
        """The handshake checks of golang.org/x/net/websocket (which hijacks the connection)."""
        if request.is_http2:
            # Hijacking fails on HTTP/2; the handler panics and Go resets the stream.
            return ConnectionAction.RESET
        if request.method != "GET":
            return self._ws_refusal(405, "bad method")
        upgrade = request.header("Upgrade").lower()
        connection = request.header("Connection").lower()
        if upgrade != "websocket" or "upgrade" not in connection:
            return self._ws_refusal(400, "not websocket protocol")
        if not request.header("Sec-Websocket-Key"):
            return self._ws_refusal(400, "mismatch challenge/response")
        if request.header("Sec-Websocket-Version") != "13":
            return self._ws_refusal(400, "missing or bad WebSocket Version", version_hint=True)
        origin = request.header("Origin")
        if not origin or not urllib.parse.urlsplit(origin).scheme:
            return RawReply(b"HTTP/1.1 403 Forbidden\r\n\r\n")
        return ConnectionAction.WEBSOCKET

    @staticmethod
    def _ws_refusal(code: int, message: str, *, version_hint: bool = False) -> RawReply:
        head = f"HTTP/1.1 {code:03d} {status_text(code)}\r\n"
        if version_hint:
            head += "Sec-WebSocket-Version: 13\r\n"
        return RawReply((head + "\r\n" + message).encode())

    @staticmethod
    def _redirect(request: Request, path: str, raw_query: str) -> Reply:
        location = urllib.parse.quote(path, safe="/:@!$&'()*+,;=-._~")
        if raw_query:
            location += "?" + raw_query
        headers = [("Location", location)]
        body = b""
        if request.method in ("GET", "HEAD"):
            headers.append(("Content-Type", "text/html; charset=utf-8"))
        if request.method == "GET":
            escaped = location.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            escaped = escaped.replace('"', "&#34;").replace("'", "&#39;")
            body = f'<a href="{escaped}">Moved Permanently</a>.\n\n'.encode()
        return Reply(301, headers, body)

    @staticmethod
    def _form_value(request: Request, key: str) -> str:
        """Go's Request.FormValue: urlencoded POST/PUT/PATCH body first, then the query."""
        if request.method in _FORM_METHODS and request.body:
            content_type = request.header("Content-Type").split(";")[0].strip().lower()
            if content_type == "application/x-www-form-urlencoded":
                form = _parse_query(request.body.decode("utf-8", "replace"))
                if key in form:
                    return form[key][0]
        _, _, query = request.request_uri.partition("?")
        if not query or key not in query:
            return ""
        return _first(_parse_query(query), key)

    @staticmethod
    async def _sleep_then(nanos: int, reply: Reply) -> Outcome:
        if nanos > 0:
            await asyncio.sleep(nanos / 1e9)
        return reply


def is_deferred(result: MaybeDeferred) -> bool:
    """Tell whether a handler result must be awaited."""
    return not isinstance(result, Reply | RawReply | ConnectionAction)
