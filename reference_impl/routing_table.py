"""Typed model of the controller→proxy routing table (see routing_table.md) and its parser."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

PathType = Literal["Exact", "PathPrefix", "RegularExpression"]
ValueMatchType = Literal["Exact", "RegularExpression"]

_DURATION_RE = re.compile(r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")
_DURATION_PART_RE = re.compile(r"([0-9]{1,5})(h|ms|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


def parse_duration(text: str, where: str) -> float:
    """A GEP-2257 duration in seconds ("0s" is 0.0, meaning: disabled)."""
    if not isinstance(text, str) or not _DURATION_RE.match(text):
        raise ValueError(f"{where}: {text!r} is not a Gateway API duration (e.g. '500ms', '1m30s')")
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART_RE.findall(text))


@dataclass(frozen=True)
class Endpoint:
    """One ready endpoint of a backend."""

    ip: str
    port: int


@dataclass(frozen=True)
class HeaderModifier:
    """RequestHeaderModifier / ResponseHeaderModifier: set, add, remove (names as written)."""

    set: tuple[tuple[str, str], ...] = ()
    add: tuple[tuple[str, str], ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class PathModifier:
    """The path part of a redirect or rewrite."""

    type: Literal["ReplaceFullPath", "ReplacePrefixMatch"]
    value: str


@dataclass(frozen=True)
class RequestRedirect:
    """RequestRedirect: the gateway answers with a 3xx and a Location."""

    scheme: str | None
    hostname: str | None
    path: PathModifier | None
    port: int | None
    status_code: int


@dataclass(frozen=True)
class URLRewrite:
    """URLRewrite: change Host and/or path before forwarding."""

    hostname: str | None
    path: PathModifier | None


@dataclass(frozen=True)
class RequestMirror:
    """RequestMirror: a fire-and-forget copy to another backend with a probability."""

    backend: Backend
    numerator: int
    denominator: int


@dataclass(frozen=True)
class CORS:
    """CORS (GEP-1767)."""

    allow_origins: tuple[str, ...]
    allow_credentials: bool
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int


@dataclass(frozen=True)
class ExtensionRef:
    """An ExtensionRef filter; the proxy knows none, so requests through it get a 500."""

    group: str
    kind: str
    name: str


@dataclass(frozen=True)
class Filter:
    """One HTTPRouteFilter; exactly the field named by `type` is set."""

    type: str
    request_header_modifier: HeaderModifier | None = None
    response_header_modifier: HeaderModifier | None = None
    request_redirect: RequestRedirect | None = None
    url_rewrite: URLRewrite | None = None
    request_mirror: RequestMirror | None = None
    cors: CORS | None = None
    extension_ref: ExtensionRef | None = None


@dataclass(frozen=True)
class SubjectAltName:
    """One BackendTLSPolicy subjectAltName: a DNS name or a URI the backend must present."""

    type: Literal["Hostname", "URI"]
    value: str


@dataclass(frozen=True)
class BackendTLS:
    """How to dial a backend with TLS (BackendTLSPolicy)."""

    ca_pem: str | None
    well_known_ca: str | None
    hostname: str
    subject_alt_names: tuple[SubjectAltName, ...] = ()
    client_certificate: Certificate | None = None
    """The Gateway's `spec.tls.backend` client certificate, presented to the backend."""


@dataclass(frozen=True)
class Backend:
    """One resolved backendRef."""

    name: str
    weight: int
    valid: bool
    app_protocol: str | None
    endpoints: tuple[Endpoint, ...]
    filters: tuple[Filter, ...] = ()
    tls: BackendTLS | None = None


@dataclass(frozen=True)
class PathMatch:
    """A path match; `regex` is compiled for RegularExpression."""

    type: PathType
    value: str
    regex: re.Pattern[str] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ValueMatch:
    """A header or query-param match; header names are stored lower-case."""

    name: str
    type: ValueMatchType
    value: str
    regex: re.Pattern[str] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RouteMatch:
    """One HTTPRouteMatch (fields ANDed)."""

    path: PathMatch
    method: str | None
    headers: tuple[ValueMatch, ...]
    query_params: tuple[ValueMatch, ...]


@dataclass(frozen=True)
class Timeouts:
    """Rule timeouts in seconds; None = unset, 0.0 = disabled."""

    request: float | None
    backend_request: float | None


@dataclass(frozen=True)
class Retry:
    """Rule retry policy."""

    codes: frozenset[int]
    attempts: int | None
    backoff: float | None


@dataclass(frozen=True)
class Rule:
    """One route rule."""

    index: int
    name: str | None
    matches: tuple[RouteMatch, ...]
    filters: tuple[Filter, ...]
    backends: tuple[Backend, ...]
    timeouts: Timeouts | None
    retry: Retry | None


@dataclass(frozen=True)
class Route:
    """One HTTPRoute accepted on a listener."""

    kind: str
    namespace: str
    name: str
    creation_timestamp: datetime
    hostnames: tuple[str, ...]
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class GRPCMethodMatch:
    """The method part of a GRPCRouteMatch; None parts match anything."""

    type: ValueMatchType
    service: str | None
    method: str | None
    service_regex: re.Pattern[str] | None = field(default=None, compare=False)
    method_regex: re.Pattern[str] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class GRPCRouteMatch:
    """One GRPCRouteMatch (method and headers ANDed)."""

    method: GRPCMethodMatch | None
    headers: tuple[ValueMatch, ...]


@dataclass(frozen=True)
class GRPCRule:
    """One GRPCRoute rule."""

    index: int
    name: str | None
    matches: tuple[GRPCRouteMatch, ...]
    filters: tuple[Filter, ...]
    backends: tuple[Backend, ...]


@dataclass(frozen=True)
class GRPCRoute:
    """One GRPCRoute accepted on an HTTP or HTTPS listener."""

    kind: str
    namespace: str
    name: str
    creation_timestamp: datetime
    hostnames: tuple[str, ...]
    rules: tuple[GRPCRule, ...]


@dataclass(frozen=True)
class TLSRoute:
    """One TLSRoute accepted on a TLS listener: SNI hostnames and weighted TCP backends."""

    kind: str
    namespace: str
    name: str
    creation_timestamp: datetime
    hostnames: tuple[str, ...]
    rule_name: str | None
    backends: tuple[Backend, ...]


@dataclass(frozen=True)
class Certificate:
    """A PEM certificate chain and key."""

    cert_pem: str
    key_pem: str


@dataclass(frozen=True)
class ClientValidation:
    """Frontend client-certificate validation of an HTTPS listener (one per port)."""

    mode: Literal["AllowValidOnly", "AllowInsecureFallback"]
    ca_pem: str


@dataclass(frozen=True)
class ListenerTLS:
    """TLS settings of a listener."""

    mode: Literal["Terminate", "Passthrough"]
    certificates: tuple[Certificate, ...]
    client_validation: ClientValidation | None = None


@dataclass(frozen=True)
class Listener:
    """One programmed listener."""

    name: str
    port: int
    protocol: Literal["HTTP", "HTTPS", "TLS"]
    hostname: str | None
    tls: ListenerTLS | None
    routes: tuple[Route, ...]
    grpc_routes: tuple[GRPCRoute, ...] = ()
    """GRPCRoute entries of `routes` in the document (HTTP and HTTPS listeners)."""
    tls_routes: tuple[TLSRoute, ...] = ()
    """TLSRoute entries of `routes` in the document (TLS listeners)."""


@dataclass(frozen=True)
class RoutingTable:
    """The whole document the controller pushes."""

    version: int
    gateway_namespace: str
    gateway_name: str
    listeners: tuple[Listener, ...]


# ---------------------------------------------------------------- parsing helpers


def _get(doc: dict[str, Any], key: str, where: str, types: type | tuple[type, ...]) -> Any:
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: expected an object, got {type(doc).__name__}")
    if key not in doc:
        raise ValueError(f"{where}.{key}: required field is missing")
    value = doc[key]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
        raise ValueError(f"{where}.{key}: expected {_type_names(types)}, got {value!r}")
    return value


def _opt(doc: dict[str, Any], key: str, where: str, types: type | tuple[type, ...]) -> Any:
    if doc.get(key) is None:
        return None
    return _get(doc, key, where, types)


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _type_names(types: type | tuple[type, ...]) -> str:
    return " or ".join(t.__name__ for t in _as_tuple(types))


def _list(doc: dict[str, Any], key: str, where: str, required: bool = False) -> list[Any]:
    value = _get(doc, key, where, list) if required else _opt(doc, key, where, list)
    return value or []


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{where}: invalid regular expression {pattern!r}: {exc}") from None


def _enum(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise ValueError(f"{where}: {value!r} is not one of {', '.join(allowed)}")
    return str(value)


# ---------------------------------------------------------------- parsing


_Parsed = TypeVar("_Parsed", Route, GRPCRoute, TLSRoute)
_MIXED_TLS = frozenset({"TLS/Passthrough", "TLS/Terminate"})


class RouteParseCache:
    """Parsed route entries of the last table, reused while an entry's JSON stays the same.

    A table of n routes changes a few entries at a time; re-validating only those keeps a
    push at 1000 routes cheap. Entries absent from the latest parsed table are dropped; a patch
    applied without a whole parse (table_state) reports the entries it adds and drops.
    """

    def __init__(self) -> None:
        self._kept: dict[str, Any] = {}
        self._fresh: dict[str, Any] = {}
        # id(entry) -> (entry, parser, parsed, text key): entries a patch carried over are the
        # very objects parsed last time, recognised without serialising them. Documents are
        # never changed in place once parsed (they come from json.loads).
        self._kept_ids: dict[int, tuple[Any, Any, Any, str]] = {}
        self._fresh_ids: dict[int, tuple[Any, Any, Any, str]] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._kept_ids)

    def parsed(
        self, doc: Any, where: str, parser: Callable[[dict[str, Any], str], _Parsed]
    ) -> _Parsed:
        """The parsed entry: from the cache when this exact JSON was parsed before."""
        same = self._kept_ids.get(id(doc))
        if same is not None and same[0] is doc and same[1] is parser:
            self.hits += 1
            self._fresh_ids[id(doc)] = same
            self._fresh[same[3]] = same[2]
            return same[2]  # type: ignore[no-any-return]
        key = self._key(doc, parser)
        if key is None:  # not JSON data: parse it, do not cache it
            return parser(doc, where)
        found = self._fresh.get(key)
        if found is None:
            found = self._kept.get(key)
        if found is None:
            self.misses += 1
            found = parser(doc, where)
        else:
            self.hits += 1
        self._fresh[key] = found
        self._fresh_ids[id(doc)] = (doc, parser, found, key)
        return found

    @staticmethod
    def _key(doc: Any, parser: Callable[[dict[str, Any], str], Any]) -> str | None:
        try:
            # Exact text (1 vs 1.0, true vs 1 differ), so equal keys mean equal entries.
            return f"{parser.__name__}\0{json.dumps(doc)}"
        except (TypeError, ValueError):
            return None

    def adopt(self, doc: Any, parsed: ParsedEntry) -> None:
        """A patch put this entry, parsed, into the table in force (between whole tables)."""
        parser = _PARSERS[parsed.kind]
        key = self._key(doc, parser)
        if key is not None:
            self._kept[key] = parsed
            self._kept_ids[id(doc)] = (doc, parser, parsed, key)

    def forget(self, doc: Any) -> None:
        """A patch took this entry out of the table in force (between whole tables)."""
        same = self._kept_ids.get(id(doc))
        if same is None or same[0] is not doc:
            return
        del self._kept_ids[id(doc)]
        # An equal entry elsewhere in the table loses its text key too: it is parsed again
        # when next sent as new text, nothing worse.
        self._kept.pop(same[3], None)

    def begin(self) -> None:
        """Start collecting the entries of a new table."""
        self._fresh = {}
        self._fresh_ids = {}

    def commit(self) -> None:
        """The new table parsed fine: keep exactly its entries."""
        self._kept, self._fresh = self._fresh, {}
        self._kept_ids, self._fresh_ids = self._fresh_ids, {}


def parse(doc: dict[str, Any], cache: RouteParseCache | None = None) -> RoutingTable:
    """Validate a routing-table document; raises ValueError naming the bad field.

    With a cache, route entries identical to ones of the previously parsed table are reused.
    """
    where = "table"
    if not isinstance(doc, dict):
        raise ValueError("table: expected a JSON object")
    version = _get(doc, "version", where, int)
    gateway = _get(doc, "gateway", where, dict)
    if cache is not None:
        cache.begin()
    listeners = tuple(
        _parse_listener(item, f"{where}.listeners[{i}]", cache)
        for i, item in enumerate(_list(doc, "listeners", where, required=True))
    )
    table = table_of(doc, version, gateway, listeners)
    if cache is not None:
        cache.commit()
    return table


def table_of(
    doc: dict[str, Any], version: int, gateway: dict[str, Any], listeners: tuple[Listener, ...]
) -> RoutingTable:
    """The table of a document whose listeners are parsed: the checks across listeners."""
    where = "table"
    seen: set[tuple[int, str | None]] = set()
    for i, lst in enumerate(listeners):
        key = (lst.port, lst.hostname)
        if key in seen:
            raise ValueError(
                f"{where}.listeners[{i}]: port {lst.port} with hostname {lst.hostname!r} "
                "appears twice; listeners on one port need distinct hostnames"
            )
        seen.add(key)
    by_port: dict[int, set[str]] = {}
    for lst in listeners:
        by_port.setdefault(lst.port, set()).add("HTTP" if lst.protocol == "HTTP" else "TLS")
    for port, kinds in by_port.items():
        if len(kinds) > 1:
            raise ValueError(f"{where}.listeners: port {port} mixes HTTP and HTTPS/TLS listeners")
    serving: dict[int, set[str]] = {}
    for lst in listeners:
        if lst.protocol != "HTTP":
            mode = lst.tls.mode if lst.tls is not None else ""
            serving.setdefault(lst.port, set()).add(f"{lst.protocol}/{mode}")
    for port, kinds in serving.items():
        # TLS Passthrough and Terminate may share a port (TLSRouteModeMixed): the proxy reads
        # the ClientHello SNI before it decides whether to terminate.
        if len(kinds) > 1 and kinds != _MIXED_TLS:
            raise ValueError(
                f"{where}.listeners: port {port} mixes {', '.join(sorted(kinds))} listeners; "
                "one port serves one of HTTPS, TLS (Passthrough and/or Terminate)"
            )
    return RoutingTable(
        version=version,
        gateway_namespace=_get(gateway, "namespace", f"{where}.gateway", str),
        gateway_name=_get(gateway, "name", f"{where}.gateway", str),
        listeners=listeners,
    )


def _parse_listener(
    doc: dict[str, Any], where: str, cache: RouteParseCache | None = None
) -> Listener:
    port = _get(doc, "port", where, int)
    if not 1 <= port <= 65535:
        raise ValueError(f"{where}.port: {port} is outside 1-65535")
    protocol = _enum(
        _get(doc, "protocol", where, str), ("HTTP", "HTTPS", "TLS"), f"{where}.protocol"
    )
    hostname = _opt(doc, "hostname", where, str)
    if hostname is not None:
        hostname = hostname.lower()
    tls = None
    tls_doc = _opt(doc, "tls", where, dict)
    if tls_doc is not None:
        mode = _enum(
            _get(tls_doc, "mode", f"{where}.tls", str),
            ("Terminate", "Passthrough"),
            f"{where}.tls.mode",
        )
        certs = tuple(
            Certificate(
                cert_pem=_get(c, "certPem", f"{where}.tls.certificates[{i}]", str),
                key_pem=_get(c, "keyPem", f"{where}.tls.certificates[{i}]", str),
            )
            for i, c in enumerate(_list(tls_doc, "certificates", f"{where}.tls"))
        )
        tls = ListenerTLS(
            mode=mode,  # type: ignore[arg-type]
            certificates=certs,
            client_validation=_parse_client_validation(
                _opt(tls_doc, "clientValidation", f"{where}.tls", dict),
                f"{where}.tls.clientValidation",
            ),
        )
        if tls.client_validation is not None and protocol != "HTTPS":
            raise ValueError(f"{where}.tls.clientValidation: only HTTPS listeners validate clients")
    if protocol == "HTTPS" and (tls is None or tls.mode != "Terminate" or not tls.certificates):
        raise ValueError(f"{where}.tls: an HTTPS listener needs mode Terminate and a certificate")
    if protocol == "TLS" and tls is None:
        raise ValueError(f"{where}.tls: a TLS listener needs a tls block")
    routes: list[Route] = []
    grpc_routes: list[GRPCRoute] = []
    tls_routes: list[TLSRoute] = []
    for i, r in enumerate(_list(doc, "routes", where)):
        entry = parse_route_entry(r, f"{where}.routes[{i}]", protocol, cache)
        if isinstance(entry, Route):
            routes.append(entry)
        elif isinstance(entry, GRPCRoute):
            grpc_routes.append(entry)
        else:
            tls_routes.append(entry)
    return Listener(
        name=_get(doc, "name", where, str),
        port=port,
        protocol=protocol,  # type: ignore[arg-type]
        hostname=hostname,
        tls=tls,
        routes=tuple(routes),
        grpc_routes=tuple(grpc_routes),
        tls_routes=tuple(tls_routes),
    )


def parse_listener(doc: dict[str, Any], where: str) -> Listener:
    """One listener of a table document (its routes included), checked on its own."""
    return _parse_listener(doc, where)


ParsedEntry = Route | GRPCRoute | TLSRoute


def parse_route_entry(
    doc: dict[str, Any], where: str, protocol: str, cache: RouteParseCache | None = None
) -> ParsedEntry:
    """One entry of a listener's `routes`, checked against the listener's protocol."""
    kind = _enum(
        _get(doc, "kind", where, str), ("HTTPRoute", "GRPCRoute", "TLSRoute"), f"{where}.kind"
    )
    if (kind == "TLSRoute") != (protocol == "TLS"):
        raise ValueError(f"{where}.kind: a {kind} cannot attach to a {protocol} listener")
    if kind == "HTTPRoute":
        return _parse_entry(doc, where, _parse_route, cache)
    if kind == "GRPCRoute":
        return _parse_entry(doc, where, _parse_grpc_route, cache)
    return _parse_entry(doc, where, _parse_tls_route, cache)


def _parse_entry(
    doc: dict[str, Any],
    where: str,
    parser: Callable[[dict[str, Any], str], _Parsed],
    cache: RouteParseCache | None,
) -> _Parsed:
    return parser(doc, where) if cache is None else cache.parsed(doc, where, parser)


def _timestamp(doc: dict[str, Any], where: str) -> datetime:
    ts_text = _get(doc, "creationTimestamp", where, str)
    try:
        ts = datetime.fromisoformat(ts_text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{where}.creationTimestamp: {ts_text!r} is not RFC 3339") from None
    if ts.tzinfo is None:
        raise ValueError(f"{where}.creationTimestamp: {ts_text!r} has no time zone")
    return ts


def _hostnames(doc: dict[str, Any], where: str) -> tuple[str, ...]:
    return tuple(
        _str_item(h, f"{where}.hostnames[{i}]").lower()
        for i, h in enumerate(_list(doc, "hostnames", where))
    )


def _parse_grpc_route(doc: dict[str, Any], where: str) -> GRPCRoute:
    rules = tuple(
        _parse_grpc_rule(r, f"{where}.rules[{i}]") for i, r in enumerate(_list(doc, "rules", where))
    )
    return GRPCRoute(
        kind="GRPCRoute",
        namespace=_get(doc, "namespace", where, str),
        name=_get(doc, "name", where, str),
        creation_timestamp=_timestamp(doc, where),
        hostnames=_hostnames(doc, where),
        rules=rules,
    )


_GRPC_FILTERS = ("RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef")


def _grpc_filters(items: list[Any], where: str) -> tuple[Filter, ...]:
    out = []
    for i, f in enumerate(items):
        flt = _parse_filter(f, f"{where}[{i}]")
        if flt.type not in _GRPC_FILTERS:
            raise ValueError(
                f"{where}[{i}].type: {flt.type!r} is not a GRPCRoute filter "
                f"({', '.join(_GRPC_FILTERS)})"
            )
        out.append(flt)
    return tuple(out)


def _parse_grpc_rule(doc: dict[str, Any], where: str) -> GRPCRule:
    match_docs = _list(doc, "matches", where) or [{"method": None, "headers": []}]
    matches = tuple(_parse_grpc_match(m, f"{where}.matches[{i}]") for i, m in enumerate(match_docs))
    backends = tuple(
        _parse_backend(b, f"{where}.backends[{i}]")
        for i, b in enumerate(_list(doc, "backends", where))
    )
    for i, b in enumerate(backends):
        for j, flt in enumerate(b.filters):
            if flt.type not in _GRPC_FILTERS:
                raise ValueError(
                    f"{where}.backends[{i}].filters[{j}].type: {flt.type!r} is not a GRPCRoute "
                    f"filter ({', '.join(_GRPC_FILTERS)})"
                )
    return GRPCRule(
        index=_get(doc, "index", where, int),
        name=_opt(doc, "name", where, str),
        matches=matches,
        filters=_grpc_filters(_list(doc, "filters", where), f"{where}.filters"),
        backends=backends,
    )


def _parse_grpc_match(doc: dict[str, Any], where: str) -> GRPCRouteMatch:
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: expected an object")
    method = None
    m_doc = _opt(doc, "method", where, dict)
    if m_doc is not None:
        w = f"{where}.method"
        m_type = _enum(m_doc.get("type", "Exact"), ("Exact", "RegularExpression"), f"{w}.type")
        service = _opt(m_doc, "service", w, str) or None
        name = _opt(m_doc, "method", w, str) or None
        regex = m_type == "RegularExpression"
        method = GRPCMethodMatch(
            type=m_type,  # type: ignore[arg-type]
            service=service,
            method=name,
            service_regex=_compile(service, f"{w}.service") if regex and service else None,
            method_regex=_compile(name, f"{w}.method") if regex and name else None,
        )
    headers = _parse_value_matches(_list(doc, "headers", where), f"{where}.headers", lower=True)
    return GRPCRouteMatch(method=method, headers=headers)


def _parse_tls_route(doc: dict[str, Any], where: str) -> TLSRoute:
    return TLSRoute(
        kind="TLSRoute",
        namespace=_get(doc, "namespace", where, str),
        name=_get(doc, "name", where, str),
        creation_timestamp=_timestamp(doc, where),
        hostnames=_hostnames(doc, where),
        rule_name=_opt(doc, "ruleName", where, str),
        backends=tuple(
            _parse_backend(b, f"{where}.backends[{i}]")
            for i, b in enumerate(_list(doc, "backends", where))
        ),
    )


def _parse_route(doc: dict[str, Any], where: str) -> Route:
    kind = _enum(_get(doc, "kind", where, str), ("HTTPRoute",), f"{where}.kind")
    ts = _timestamp(doc, where)
    hostnames = _hostnames(doc, where)
    rules = tuple(
        _parse_rule(r, f"{where}.rules[{i}]") for i, r in enumerate(_list(doc, "rules", where))
    )
    return Route(
        kind=kind,
        namespace=_get(doc, "namespace", where, str),
        name=_get(doc, "name", where, str),
        creation_timestamp=ts,
        hostnames=hostnames,
        rules=rules,
    )


_PARSERS: dict[str, Callable[[dict[str, Any], str], ParsedEntry]] = {
    "HTTPRoute": _parse_route,
    "GRPCRoute": _parse_grpc_route,
    "TLSRoute": _parse_tls_route,
}
"""The parser of each route kind a listener's `routes` may hold."""


def _str_item(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected str, got {value!r}")
    return value


def _parse_rule(doc: dict[str, Any], where: str) -> Rule:
    index = _get(doc, "index", where, int)
    match_docs = _list(doc, "matches", where) or [{"path": {"type": "PathPrefix", "value": "/"}}]
    matches = tuple(_parse_match(m, f"{where}.matches[{i}]") for i, m in enumerate(match_docs))
    filters = tuple(
        _parse_filter(f, f"{where}.filters[{i}]")
        for i, f in enumerate(_list(doc, "filters", where))
    )
    backends = tuple(
        _parse_backend(b, f"{where}.backends[{i}]")
        for i, b in enumerate(_list(doc, "backends", where))
    )
    for i, flt in enumerate(filters):
        if flt.type == "RequestRedirect" and backends:
            raise ValueError(f"{where}.filters[{i}]: RequestRedirect cannot be used with backends")
    timeouts = None
    t_doc = _opt(doc, "timeouts", where, dict)
    if t_doc is not None:
        req = _opt(t_doc, "request", f"{where}.timeouts", str)
        breq = _opt(t_doc, "backendRequest", f"{where}.timeouts", str)
        timeouts = Timeouts(
            request=None if req is None else parse_duration(req, f"{where}.timeouts.request"),
            backend_request=None
            if breq is None
            else parse_duration(breq, f"{where}.timeouts.backendRequest"),
        )
    retry = None
    r_doc = _opt(doc, "retry", where, dict)
    if r_doc is not None:
        codes = _list(r_doc, "codes", f"{where}.retry")
        for i, code in enumerate(codes):
            if not isinstance(code, int) or isinstance(code, bool) or not 400 <= code <= 599:
                raise ValueError(f"{where}.retry.codes[{i}]: {code!r} is not a status 400-599")
        attempts = _opt(r_doc, "attempts", f"{where}.retry", int)
        if attempts is not None and attempts < 0:
            raise ValueError(f"{where}.retry.attempts: {attempts} is negative")
        backoff = _opt(r_doc, "backoff", f"{where}.retry", str)
        retry = Retry(
            codes=frozenset(codes),
            attempts=attempts,
            backoff=None if backoff is None else parse_duration(backoff, f"{where}.retry.backoff"),
        )
    return Rule(
        index=index,
        name=_opt(doc, "name", where, str),
        matches=matches,
        filters=filters,
        backends=backends,
        timeouts=timeouts,
        retry=retry,
    )


def _parse_match(doc: dict[str, Any], where: str) -> RouteMatch:
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: expected an object")
    p_doc = _opt(doc, "path", where, dict) or {"type": "PathPrefix", "value": "/"}
    p_type = _enum(
        p_doc.get("type", "PathPrefix"),
        ("Exact", "PathPrefix", "RegularExpression"),
        f"{where}.path.type",
    )
    p_value = p_doc.get("value", "/")
    if not isinstance(p_value, str) or not p_value:
        raise ValueError(f"{where}.path.value: expected a non-empty string, got {p_value!r}")
    if p_type != "RegularExpression" and not p_value.startswith("/"):
        raise ValueError(f"{where}.path.value: {p_value!r} must start with '/'")
    path = PathMatch(
        type=p_type,  # type: ignore[arg-type]
        value=p_value,
        regex=_compile(p_value, f"{where}.path.value") if p_type == "RegularExpression" else None,
    )
    method = _opt(doc, "method", where, str)
    if method is not None and method not in _METHODS:
        raise ValueError(f"{where}.method: {method!r} is not an HTTP method of the spec")
    headers = _parse_value_matches(_list(doc, "headers", where), f"{where}.headers", lower=True)
    query = _parse_value_matches(
        _list(doc, "queryParams", where), f"{where}.queryParams", lower=False
    )
    return RouteMatch(path=path, method=method, headers=headers, query_params=query)


def _parse_value_matches(items: list[Any], where: str, lower: bool) -> tuple[ValueMatch, ...]:
    out: list[ValueMatch] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        w = f"{where}[{i}]"
        name = _get(item, "name", w, str)
        key = name.lower() if lower else name
        m_type = _enum(item.get("type", "Exact"), ("Exact", "RegularExpression"), f"{w}.type")
        value = _get(item, "value", w, str)
        if key in seen:
            continue  # the spec: only the first entry with an equivalent name counts
        seen.add(key)
        out.append(
            ValueMatch(
                name=key,
                type=m_type,  # type: ignore[arg-type]
                value=value,
                regex=_compile(value, f"{w}.value") if m_type == "RegularExpression" else None,
            )
        )
    return tuple(out)


def _parse_backend(doc: dict[str, Any], where: str) -> Backend:
    weight = _get(doc, "weight", where, int)
    if weight < 0:
        raise ValueError(f"{where}.weight: {weight} is negative")
    endpoints = []
    for i, ep in enumerate(_list(doc, "endpoints", where)):
        w = f"{where}.endpoints[{i}]"
        port = _get(ep, "port", w, int)
        if not 1 <= port <= 65535:
            raise ValueError(f"{w}.port: {port} is outside 1-65535")
        endpoints.append(Endpoint(ip=_get(ep, "ip", w, str), port=port))
    filters = tuple(
        _parse_filter(f, f"{where}.filters[{i}]")
        for i, f in enumerate(_list(doc, "filters", where))
    )
    return Backend(
        name=_get(doc, "name", where, str),
        weight=weight,
        valid=_get(doc, "valid", where, bool),
        app_protocol=_opt(doc, "appProtocol", where, str),
        endpoints=tuple(endpoints),
        filters=filters,
        tls=_parse_backend_tls(_opt(doc, "tls", where, dict), f"{where}.tls"),
    )


def _parse_backend_tls(doc: dict[str, Any] | None, where: str) -> BackendTLS | None:
    if doc is None:
        return None
    ca_pem = _opt(doc, "caPem", where, str)
    well_known = _opt(doc, "wellKnownCACertificates", where, str)
    if well_known is not None:
        well_known = _enum(well_known, ("System",), f"{where}.wellKnownCACertificates")
    if (ca_pem is None) == (well_known is None):
        raise ValueError(f"{where}: set exactly one of caPem or wellKnownCACertificates")
    sans: list[SubjectAltName] = []
    for i, item in enumerate(_list(doc, "subjectAltNames", where)):
        w = f"{where}.subjectAltNames[{i}]"
        s_type = _enum(_get(item, "type", w, str), ("Hostname", "URI"), f"{w}.type")
        key = "hostname" if s_type == "Hostname" else "uri"
        value = _get(item, key, w, str)
        sans.append(SubjectAltName(type=s_type, value=value))  # type: ignore[arg-type]
    client = _opt(doc, "clientCertificate", where, dict)
    return BackendTLS(
        ca_pem=ca_pem,
        well_known_ca=well_known,
        hostname=_get(doc, "hostname", where, str),
        subject_alt_names=tuple(sans),
        client_certificate=None
        if client is None
        else Certificate(
            cert_pem=_get(client, "certPem", f"{where}.clientCertificate", str),
            key_pem=_get(client, "keyPem", f"{where}.clientCertificate", str),
        ),
    )


def _parse_client_validation(doc: dict[str, Any] | None, where: str) -> ClientValidation | None:
    if doc is None:
        return None
    mode = _enum(
        _get(doc, "mode", where, str), ("AllowValidOnly", "AllowInsecureFallback"), f"{where}.mode"
    )
    ca_pem = _get(doc, "caPem", where, str)
    if not ca_pem.strip():
        raise ValueError(f"{where}.caPem: a client validation needs at least one CA")
    return ClientValidation(mode=mode, ca_pem=ca_pem)  # type: ignore[arg-type]


def _parse_header_modifier(doc: dict[str, Any], where: str) -> HeaderModifier:
    def pairs(key: str) -> tuple[tuple[str, str], ...]:
        return tuple(
            (
                _get(h, "name", f"{where}.{key}[{i}]", str),
                _get(h, "value", f"{where}.{key}[{i}]", str),
            )
            for i, h in enumerate(_list(doc, key, where))
        )

    remove = tuple(
        _str_item(n, f"{where}.remove[{i}]") for i, n in enumerate(_list(doc, "remove", where))
    )
    return HeaderModifier(set=pairs("set"), add=pairs("add"), remove=remove)


def _parse_path_modifier(doc: dict[str, Any] | None, where: str) -> PathModifier | None:
    if doc is None:
        return None
    p_type = _enum(doc.get("type"), ("ReplaceFullPath", "ReplacePrefixMatch"), f"{where}.type")
    key = "replaceFullPath" if p_type == "ReplaceFullPath" else "replacePrefixMatch"
    value = _get(doc, key, where, str)
    return PathModifier(type=p_type, value=value)  # type: ignore[arg-type]


def _parse_filter(doc: dict[str, Any], where: str) -> Filter:
    f_type = _get(doc, "type", where, str)
    if f_type == "RequestHeaderModifier":
        hm = _parse_header_modifier(
            _get(doc, "requestHeaderModifier", where, dict), f"{where}.requestHeaderModifier"
        )
        return Filter(type=f_type, request_header_modifier=hm)
    if f_type == "ResponseHeaderModifier":
        hm = _parse_header_modifier(
            _get(doc, "responseHeaderModifier", where, dict), f"{where}.responseHeaderModifier"
        )
        return Filter(type=f_type, response_header_modifier=hm)
    if f_type == "RequestRedirect":
        w = f"{where}.requestRedirect"
        rd = _get(doc, "requestRedirect", where, dict)
        scheme = _opt(rd, "scheme", w, str)
        if scheme is not None:
            scheme = _enum(scheme, ("http", "https"), f"{w}.scheme")
        status = rd.get("statusCode", 302)
        if status not in _REDIRECT_CODES:
            raise ValueError(f"{w}.statusCode: {status!r} is not one of 301, 302, 303, 307, 308")
        port = _opt(rd, "port", w, int)
        if port is not None and not 1 <= port <= 65535:
            raise ValueError(f"{w}.port: {port} is outside 1-65535")
        return Filter(
            type=f_type,
            request_redirect=RequestRedirect(
                scheme=scheme,
                hostname=_opt(rd, "hostname", w, str),
                path=_parse_path_modifier(_opt(rd, "path", w, dict), f"{w}.path"),
                port=port,
                status_code=status,
            ),
        )
    if f_type == "URLRewrite":
        w = f"{where}.urlRewrite"
        rw = _get(doc, "urlRewrite", where, dict)
        return Filter(
            type=f_type,
            url_rewrite=URLRewrite(
                hostname=_opt(rw, "hostname", w, str),
                path=_parse_path_modifier(_opt(rw, "path", w, dict), f"{w}.path"),
            ),
        )
    if f_type == "RequestMirror":
        w = f"{where}.requestMirror"
        rm = _get(doc, "requestMirror", where, dict)
        backend = _parse_backend(_get(rm, "backend", w, dict), f"{w}.backend")
        percent = _opt(rm, "percent", w, int)
        fraction = _opt(rm, "fraction", w, dict)
        if percent is not None and fraction is not None:
            raise ValueError(f"{w}: only one of percent or fraction may be set")
        num, den = 100, 100
        if percent is not None:
            if not 0 <= percent <= 100:
                raise ValueError(f"{w}.percent: {percent} is outside 0-100")
            num = percent
        elif fraction is not None:
            num = _get(fraction, "numerator", f"{w}.fraction", int)
            den = _opt(fraction, "denominator", f"{w}.fraction", int) or 100
            if den <= 0 or not 0 <= num <= den:
                raise ValueError(
                    f"{w}.fraction: need 0 <= numerator <= denominator, denominator > 0"
                )
        return Filter(
            type=f_type,
            request_mirror=RequestMirror(backend=backend, numerator=num, denominator=den),
        )
    if f_type == "CORS":
        w = f"{where}.cors"
        c = _get(doc, "cors", where, dict)

        def strs(key: str) -> tuple[str, ...]:
            return tuple(_str_item(v, f"{w}.{key}[{i}]") for i, v in enumerate(_list(c, key, w)))

        max_age = _opt(c, "maxAge", w, int)
        return Filter(
            type=f_type,
            cors=CORS(
                allow_origins=strs("allowOrigins"),
                allow_credentials=bool(_opt(c, "allowCredentials", w, bool)),
                allow_methods=strs("allowMethods"),
                allow_headers=strs("allowHeaders"),
                expose_headers=strs("exposeHeaders"),
                max_age=5 if max_age is None else max_age,
            ),
        )
    if f_type == "ExtensionRef":
        w = f"{where}.extensionRef"
        er = _get(doc, "extensionRef", where, dict)
        return Filter(
            type=f_type,
            extension_ref=ExtensionRef(
                group=str(er.get("group", "")),
                kind=_get(er, "kind", w, str),
                name=_get(er, "name", w, str),
            ),
        )
    raise ValueError(
        f"{where}.type: {f_type!r} is not a supported filter (RequestHeaderModifier, "
        "ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror, CORS, ExtensionRef)"
    )
