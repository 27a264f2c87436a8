"""Pure filter semantics: header modifiers, path replacement, redirects, CORS."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reference_impl.routing_table import CORS, HeaderModifier, PathModifier, RequestRedirect

Headers = list[tuple[str, str]]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def modify_headers(headers: Sequence[tuple[str, str]], mod: HeaderModifier) -> Headers:
    """Apply set/add/remove: names compare case-insensitively; add appends a new line."""
    out = list(headers)
    if mod.set:
        names = {n.lower() for n, _ in mod.set}
        out = [(n, v) for n, v in out if n.lower() not in names]
        out.extend(mod.set)
    if mod.add:
        out.extend(mod.add)
    if mod.remove:
        gone = {n.lower() for n in mod.remove}
        out = [(n, v) for n, v in out if n.lower() not in gone]
    return out


def replace_prefix(path: str, prefix: str, replacement: str) -> str:
    """ReplacePrefixMatch exactly as the godoc table: trailing '/' of both sides ignored."""
    p = prefix[:-1] if prefix.endswith("/") else prefix
    rest = path[len(p) :]
    r = replacement[:-1] if replacement.endswith("/") else replacement
    out = r + rest
    return out or "/"


def modified_path(path: str, mod: PathModifier | None, matched_prefix: str | None) -> str:
    """The path after a redirect/rewrite path modifier."""
    if mod is None:
        return path
    if mod.type == "ReplaceFullPath":
        return mod.value
    if matched_prefix is None:
        return path  # only valid with a PathPrefix match; the controller rejects other uses
    return replace_prefix(path, matched_prefix, mod.value)


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def redirect_location(
    rd: RequestRedirect,
    request_scheme: str,
    request_host: str,
    listener_port: int,
    path: str,
    query: str,
    matched_prefix: str | None,
) -> str:
    """The absolute Location of a RequestRedirect (spec port rules; query kept)."""
    scheme = rd.scheme or request_scheme
    host = rd.hostname or request_host
    if rd.port is not None:
        port = rd.port
    elif rd.scheme is not None:
        port = _DEFAULT_PORTS[rd.scheme]
    else:
        port = listener_port
    location = f"{scheme}://{_bracket(host)}"
    if port != _DEFAULT_PORTS.get(scheme):
        location += f":{port}"
    location += modified_path(path, rd.path, matched_prefix)
    if query:
        location += "?" + query
    return location


# ------------------------------------------------------------------------ CORS


@dataclass(frozen=True)
class Origin:
    """A parsed origin: scheme, host (may hold '*' in a pattern), port."""

    scheme: str
    host: str
    port: int


def parse_origin(text: str) -> Origin | None:
    """Parse `scheme://host[:port]`; None when it is not an http(s) origin."""
    scheme, sep, rest = text.strip().partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in _DEFAULT_PORTS or not rest or "/" in rest:
        return None
    host, port = rest, _DEFAULT_PORTS[scheme]
    if rest.startswith("["):
        end = rest.find("]")
        host, tail = rest[: end + 1], rest[end + 1 :]
        if tail.startswith(":") and tail[1:].isdigit():
            port = int(tail[1:])
    elif ":" in rest:
        host, _, port_text = rest.rpartition(":")
        if not port_text.isdigit():
            return None
        port = int(port_text)
    return Origin(scheme, host.lower(), port)


def origin_allowed(allow_origins: Sequence[str], origin: str) -> bool:
    """GEP-1767 origin match: '*' allows all; '*' in a host is a greedy left wildcard."""
    req = parse_origin(origin)
    if req is None:
        return False
    for allowed in allow_origins:
        if allowed == "*":
            return True
        pat = parse_origin(allowed)
        if pat is None or pat.scheme != req.scheme or pat.port != req.port:
            continue
        if "*" in pat.host:
            if pat.host == "*":
                return True
            regex = "^" + ".+".join(re.escape(part) for part in pat.host.split("*")) + "$"
            if re.match(regex, req.host):
                return True
        elif pat.host == req.host:
            return True
    return False


def cors_preflight_headers(
    cors: CORS, origin: str, request_method: str, request_headers: str | None
) -> Headers:
    """Response headers of an allowed preflight."""
    out: Headers = [("Access-Control-Allow-Origin", origin)]
    if cors.allow_credentials:
        out.append(("Access-Control-Allow-Credentials", "true"))
    if cors.allow_methods:
        if "*" in cors.allow_methods:
            out.append(("Access-Control-Allow-Methods", request_method))
        else:
            out.append(("Access-Control-Allow-Methods", ", ".join(cors.allow_methods)))
    if cors.allow_headers:
        if "*" in cors.allow_headers:
            if request_headers:
                out.append(("Access-Control-Allow-Headers", request_headers))
        else:
            out.append(("Access-Control-Allow-Headers", ", ".join(cors.allow_headers)))
    out.extend(_expose_headers(cors))
    out.append(("Access-Control-Max-Age", str(cors.max_age)))
    out.append(("Vary", "Origin"))
    return out


def cors_response_headers(cors: CORS, origin: str) -> Headers:
    """Headers added to a backend response for an allowed actual request."""
    out: Headers = [("Access-Control-Allow-Origin", origin)]
    if cors.allow_credentials:
        out.append(("Access-Control-Allow-Credentials", "true"))
    out.extend(_expose_headers(cors))
    out.append(("Vary", "Origin"))
    return out


def _expose_headers(cors: CORS) -> Headers:
    if not cors.expose_headers:
        return []
    if "*" in cors.expose_headers:
        return [] if cors.allow_credentials else [("Access-Control-Expose-Headers", "*")]
    return [("Access-Control-Expose-Headers", ", ".join(cors.expose_headers))]
