"""Listener and route selection (spec precedence, listener isolation); pure and cached."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from reference_impl.routing_table import (
    Backend,
    Filter,
    GRPCRoute,
    GRPCRouteMatch,
    GRPCRule,
    Listener,
    Route,
    RouteMatch,
    RoutingTable,
    Rule,
    TLSRoute,
)

_CACHE_LIMIT = 1024


def normalize_host(authority: str) -> str:
    """The host of a Host/:authority value: port dropped, lower-cased, one trailing dot dropped."""
    host = authority.strip()
    if host.startswith("["):
        end = host.find("]")
        host = host[: end + 1] if end != -1 else host
    else:
        colon = host.rfind(":")
        if colon != -1:
            host = host[:colon]
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    return host


def hostname_matches(pattern: str | None, host: str) -> bool:
    """Gateway API hostname match: None matches all; '*.s' needs at least one more label."""
    if pattern is None:
        return True
    if pattern.startswith("*."):
        suffix = pattern[1:]
        return host.endswith(suffix) and len(host) > len(suffix)
    return host == pattern


def listener_specificity(hostname: str | None) -> tuple[int, int, int]:
    """Sort key: exact first, then wildcards with more dots, then no hostname."""
    if hostname is None:
        return (2, 0, 0)
    if hostname.startswith("*."):
        return (1, -hostname.count("."), -len(hostname))
    return (0, 0, -len(hostname))


def prefix_matches(prefix: str, path: str) -> bool:
    """PathPrefix match, element by element; one trailing '/' of the prefix is ignored."""
    p = prefix[:-1] if prefix.endswith("/") else prefix
    if not path.startswith(p):
        return False
    return len(path) == len(p) or path[len(p)] == "/"


@dataclass(slots=True)
class RequestView:
    """What route matching looks at; header/query maps are built on first use."""

    method: str
    host: str
    path: str
    query: str
    headers: Sequence[tuple[str, str]]
    _header_map: dict[str, list[str]] | None = field(default=None, repr=False)
    _query_map: dict[str, str] | None = field(default=None, repr=False)

    def header_values(self, lower_name: str) -> list[str] | None:
        """All values of a header (case-insensitive name), or None."""
        if self._header_map is None:
            hm: dict[str, list[str]] = {}
            for name, value in self.headers:
                hm.setdefault(name.lower(), []).append(value)
            self._header_map = hm
        return self._header_map.get(lower_name)

    def query_value(self, name: str) -> str | None:
        """First value of a query parameter (case-sensitive name), or None."""
        if self._query_map is None:
            qm: dict[str, str] = {}
            for k, v in parse_qsl(self.query, keep_blank_values=True):
                qm.setdefault(k, v)
            self._query_map = qm
        return self._query_map.get(name)


def _values_match(vm_type: str, expected: str, regex: object, values: list[str]) -> bool:
    candidates = [",".join(values), *values] if len(values) > 1 else values
    for value in candidates:
        if vm_type == "Exact":
            if value == expected:
                return True
        elif regex is not None and regex.search(value):  # type: ignore[attr-defined]
            return True
    return False


def request_matches(match: RouteMatch, req: RequestView) -> bool:
    """Whether one HTTPRouteMatch (all its fields ANDed) matches the request."""
    pm = match.path
    if pm.type == "PathPrefix":
        if not prefix_matches(pm.value, req.path):
            return False
    elif pm.type == "Exact":
        if req.path != pm.value:
            return False
    elif pm.regex is None or not pm.regex.fullmatch(req.path):
        return False
    if match.method is not None and req.method != match.method:
        return False
    for hm in match.headers:
        values = req.header_values(hm.name)
        if values is None or not _values_match(hm.type, hm.value, hm.regex, values):
            return False
    for qm in match.query_params:
        value = req.query_value(qm.name)
        if value is None or not _values_match(qm.type, qm.value, qm.regex, [value]):
            return False
    return True


@dataclass(frozen=True)
class RouteEntry:
    """One (effective hostname, route, rule, match) candidate of a listener."""

    hostname: str | None
    route: Route
    rule: Rule
    match: RouteMatch
    match_index: int
    route_key: str = ""  # "namespace/name", for logs

    def sort_key(self) -> tuple[object, ...]:
        """Spec precedence (section 1.4); smallest wins."""
        h = self.hostname
        exact_host = len(h) if h and not h.startswith("*.") else 0
        any_host = len(h) if h else 0
        pm = self.match.path
        rank = {"Exact": 2, "RegularExpression": 1, "PathPrefix": 0}[pm.type]
        plen = len(pm.value.rstrip("/")) if pm.type == "PathPrefix" else len(pm.value)
        return (
            -exact_host,
            -any_host,
            -rank,
            -plen,
            -int(self.match.method is not None),
            -len(self.match.headers),
            -len(self.match.query_params),
            self.route.creation_timestamp,
            f"{self.route.namespace}/{self.route.name}",
            self.rule.index,
            self.match_index,
        )


def grpc_request_matches(match: GRPCRouteMatch, req: RequestView) -> bool:
    """Whether one GRPCRouteMatch matches; `:path` must be `/<service>/<method>` for a method."""
    mm = match.method
    if mm is not None:
        parts = req.path.split("/")
        if len(parts) != 3 or parts[0] != "":
            return False
        service, method = parts[1], parts[2]
        if mm.type == "Exact":
            if mm.service is not None and service != mm.service:
                return False
            if mm.method is not None and method != mm.method:
                return False
        else:
            if mm.service_regex is not None and not mm.service_regex.fullmatch(service):
                return False
            if mm.method_regex is not None and not mm.method_regex.fullmatch(method):
                return False
    for hm in match.headers:
        values = req.header_values(hm.name)
        if values is None or not _values_match(hm.type, hm.value, hm.regex, values):
            return False
    return True


@dataclass(frozen=True)
class GRPCEntry:
    """One (effective hostname, GRPCRoute, rule, match) candidate of a listener."""

    hostname: str | None
    route: GRPCRoute
    rule: GRPCRule
    match: GRPCRouteMatch
    match_index: int
    route_key: str = ""

    def sort_key(self) -> tuple[object, ...]:
        """GRPCRoute precedence (godoc); smallest wins."""
        h = self.hostname
        exact_host = len(h) if h and not h.startswith("*.") else 0
        mm = self.match.method
        return (
            -exact_host,
            -(len(h) if h else 0),
            -(len(mm.service) if mm and mm.service else 0),
            -(len(mm.method) if mm and mm.method else 0),
            -len(self.match.headers),
            self.route.creation_timestamp,
            self.route_key,
            self.rule.index,
            self.match_index,
        )


def tls_route_key(hostname: str | None, route: TLSRoute) -> tuple[object, ...]:
    """TLSRoute precedence for one SNI: exact, then the longer wildcard, then none; then age."""
    if hostname is None:
        rank: tuple[int, int] = (2, 0)
    elif hostname.startswith("*."):
        rank = (1, -len(hostname))
    else:
        rank = (0, 0)
    return (*rank, route.creation_timestamp, f"{route.namespace}/{route.name}")


class CompiledListener:
    """A listener with its candidates pre-sorted by precedence and a per-host cache."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.scheme = "http" if listener.protocol == "HTTP" else "https"
        entries: list[RouteEntry] = []
        for route in listener.routes:
            hostnames: Sequence[str | None] = route.hostnames or (None,)
            for hostname in hostnames:
                for rule in route.rules:
                    for i, match in enumerate(rule.matches):
                        key = f"{route.namespace}/{route.name}"
                        entries.append(RouteEntry(hostname, route, rule, match, i, key))
        entries.sort(key=RouteEntry.sort_key)
        self.entries = entries
        self._by_host: dict[str, list[RouteEntry]] = {}
        grpc: list[GRPCEntry] = []
        for groute in listener.grpc_routes:
            key = f"{groute.namespace}/{groute.name}"
            for hostname in groute.hostnames or (None,):
                for grule in groute.rules:
                    for i, gmatch in enumerate(grule.matches):
                        grpc.append(GRPCEntry(hostname, groute, grule, gmatch, i, key))
        grpc.sort(key=GRPCEntry.sort_key)
        self.grpc_entries = grpc
        tls: list[tuple[str | None, TLSRoute]] = [
            (hostname, troute)
            for troute in listener.tls_routes
            for hostname in (troute.hostnames or (None,))
        ]
        tls.sort(key=lambda pair: tls_route_key(*pair))
        self.tls_entries = tls

    def select_grpc(self, req: RequestView) -> GRPCEntry | None:
        """The highest-precedence GRPCRoute rule match, or None (UNIMPLEMENTED)."""
        for entry in self.grpc_entries:
            if hostname_matches(entry.hostname, req.host) and grpc_request_matches(
                entry.match, req
            ):
                return entry
        return None

    def select_tls(self, sni: str | None) -> TLSRoute | None:
        """The TLSRoute for a ClientHello SNI (None without SNI: no route)."""
        if not sni:
            return None
        host = normalize_host(sni)
        for hostname, troute in self.tls_entries:
            if hostname_matches(hostname, host):
                return troute
        return None

    def candidates(self, host: str) -> list[RouteEntry]:
        """Candidates whose effective hostname matches the host, in precedence order."""
        found = self._by_host.get(host)
        if found is None:
            found = [e for e in self.entries if hostname_matches(e.hostname, host)]
            if len(self._by_host) >= _CACHE_LIMIT:
                self._by_host.clear()
            self._by_host[host] = found
        return found

    def select(self, req: RequestView) -> RouteEntry | None:
        """The highest-precedence rule match for the request, or None (404)."""
        for entry in self.candidates(req.host):
            if request_matches(entry.match, req):
                return entry
        return None


class PortListeners:
    """Every listener on one port, most specific hostname first."""

    def __init__(self, port: int, listeners: Sequence[Listener]) -> None:
        self.port = port
        self.listeners = sorted(
            (CompiledListener(lst) for lst in listeners),
            key=lambda c: listener_specificity(c.listener.hostname),
        )
        self.is_tls = any(c.listener.protocol != "HTTP" for c in self.listeners)

    def by_host(self, host: str) -> CompiledListener | None:
        """The most specific listener whose hostname matches the host."""
        for c in self.listeners:
            if hostname_matches(c.listener.hostname, host):
                return c
        return None

    def by_sni(self, sni: str | None) -> CompiledListener | None:
        """The listener chosen during the TLS handshake; no SNI matches only a hostname-less one."""
        if sni is None:
            for c in self.listeners:
                if c.listener.hostname is None:
                    return c
            return None
        return self.by_host(normalize_host(sni))


class CompiledTable:
    """A routing table ready for matching: listeners grouped by port."""

    def __init__(self, table: RoutingTable) -> None:
        self.table = table
        self.version = table.version
        grouped: dict[int, list[Listener]] = {}
        for lst in table.listeners:
            grouped.setdefault(lst.port, []).append(lst)
        self.ports = {port: PortListeners(port, lsts) for port, lsts in grouped.items()}

    def endpoint_keys(self) -> set[tuple[str, int]]:
        """(ip, port) of every endpoint the table can send to, mirrors included."""
        keys: set[tuple[str, int]] = set()

        def add_backend(backend: Backend) -> None:
            keys.update((e.ip, e.port) for e in backend.endpoints)
            add_filters(backend.filters)

        def add_filters(filters: Sequence[Filter]) -> None:
            for flt in filters:
                if flt.request_mirror is not None:
                    add_backend(flt.request_mirror.backend)

        for lst in self.table.listeners:
            for route in lst.routes:
                for rule in route.rules:
                    add_filters(rule.filters)
                    for backend in rule.backends:
                        add_backend(backend)
            for groute in lst.grpc_routes:
                for grule in groute.rules:
                    add_filters(grule.filters)
                    for backend in grule.backends:
                        add_backend(backend)
            for troute in lst.tls_routes:
                for backend in troute.backends:
                    add_backend(backend)
        return keys


@dataclass(slots=True)
class ListenerDecision:
    """Either a listener to route within, or a status (404/421) to answer."""

    listener: CompiledListener | None
    status: int


def choose_listener(
    ports: dict[int, PortListeners], port: int, host: str, tls: bool, sni: str | None
) -> ListenerDecision:
    """Listener selection with isolation; on TLS connections compare the SNI choice (404/421)."""
    pl = ports.get(port)
    if pl is None:
        return ListenerDecision(None, 404)
    by_host = pl.by_host(host)
    if by_host is None:
        return ListenerDecision(None, 404)
    if tls and pl.by_sni(sni) is not by_host:
        return ListenerDecision(None, 421)
    return ListenerDecision(by_host, 0)
