"""Small pieces of Go net/http behaviour that clients of echo-basic can observe."""

from __future__ import annotations

import functools
import http
import json.encoder
import re
import time
from collections.abc import Callable

__all__ = [
    "canonical_header_key",
    "clean_path",
    "go_json_string",
    "http_date",
    "is_valid_header_name",
    "status_line",
    "status_text",
]

_TOKEN_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_canonical_cache: dict[str, str] = {}

# Reason phrases where Go's http.StatusText differs from Python's http.HTTPStatus.
_GO_STATUS_TEXT_OVERRIDES = {
    414: "Request URI Too Long",
    416: "Requested Range Not Satisfiable",
    418: "I'm a teapot",
    422: "Unprocessable Entity",
}
_encode_basestring: Callable[[str], str] = json.encoder.encode_basestring


def is_valid_header_name(name: str) -> bool:
    """Tell whether name is an RFC 9110 token (Go skips other names when writing)."""
    return bool(_TOKEN_RE.match(name))


def canonical_header_key(name: str) -> str:
    """Return Go's textproto.CanonicalMIMEHeaderKey of name (``x-foo-bar`` -> ``X-Foo-Bar``)."""
    cached = _canonical_cache.get(name)
    if cached is not None:
        return cached
    if not is_valid_header_name(name):
        # Go leaves keys with bytes outside the token set untouched.
        return name
    out = []
    upper = True
    for ch in name:
        if upper and "a" <= ch <= "z":
            ch = ch.upper()
        elif not upper and "A" <= ch <= "Z":
            ch = ch.lower()
        out.append(ch)
        upper = ch == "-"
    result = "".join(out)
    if len(_canonical_cache) < 4096:
        _canonical_cache[name] = result
    return result


def status_text(code: int) -> str:
    """Return Go's http.StatusText, or Go's fallback for unknown codes."""
    override = _GO_STATUS_TEXT_OVERRIDES.get(code)
    if override is not None:
        return override
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return ""


@functools.lru_cache(maxsize=1024)
def status_line(code: int) -> bytes:
    """Return the HTTP/1.1 status line Go writes for code, including CRLF."""
    text = status_text(code)
    if not text:
        text = f"status code {code}"
    return f"HTTP/1.1 {code:03d} {text}\r\n".encode("latin-1")


def go_json_string(value: str) -> str:
    """Quote value like Go's encoding/json (HTML-safe escapes, UTF-8 kept as is)."""
    quoted = _encode_basestring(value)
    if "<" in quoted or ">" in quoted or "&" in quoted or "\u2028" in quoted or "\u2029" in quoted:
        quoted = (
            quoted.replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
            .replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029")
        )
    return quoted


def clean_path(path: str) -> str:
    """Return Go's net/http cleanPath: path.Clean keeping a trailing slash."""
    if not path:
        return "/"
    if path[0] != "/":
        path = "/" + path
    parts: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if parts:
                parts.pop()
            continue
        parts.append(segment)
    cleaned = "/" + "/".join(parts)
    if path.endswith("/") and cleaned != "/":
        cleaned += "/"
    return cleaned


_date_cache: tuple[int, bytes] = (0, b"")


def http_date() -> bytes:
    """Return the current IMF-fixdate, cached for the current second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        text = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now))
        _date_cache = (now, text.encode("ascii"))
    return _date_cache[1]
