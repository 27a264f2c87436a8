"""Listener and route selection (spec precedence, listener isolation); pure and cached."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Generic, TypeVar
from urllib.parse import parse_qsl

from reference_impl.proxy.ranking import Ranking, Row
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


_PATH_RANK = {"Exact": 2, "RegularExpression": 1, "PathPrefix": 0}


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
        """Spec precedence (section 1.4); smallest wins.

        Candidates with an exact hostname come first (negative first element), all others
        after them (first element 0): CompiledListener.candidates relies on that."""
        h = self.hostname
        exact_host = len(h) if h and not h.startswith("*.") else 0
        any_host = len(h) if h else 0
        pm = self.match.path
        rank = _PATH_RANK[pm.type]
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


_R = TypeVar("_R", Route, GRPCRoute, TLSRoute)
_E = TypeVar("_E")
TLSEntry = tuple[str | None, TLSRoute]
EndpointKey = tuple[str, int]

_FIRST_NOT_EXACT: tuple[object, ...] = (0,)
"""Sorts before every key of a candidate without an exact hostname, after all others."""


def _http_rows(route: Route) -> list[Row[RouteEntry]]:
    rows: list[Row[RouteEntry]] = []
    key = f"{route.namespace}/{route.name}"
    for hostname in route.hostnames or (None,):
        for rule in route.rules:
            for i, match in enumerate(rule.matches):
                entry = RouteEntry(hostname, route, rule, match, i, key)
                rows.append((entry.sort_key(), entry, id(route)))
    return rows


def _grpc_rows(route: GRPCRoute) -> list[Row[GRPCEntry]]:
    rows: list[Row[GRPCEntry]] = []
    key = f"{route.namespace}/{route.name}"
    for hostname in route.hostnames or (None,):
        for rule in route.rules:
            for i, match in enumerate(rule.matches):
                entry = GRPCEntry(hostname, route, rule, match, i, key)
                rows.append((entry.sort_key(), entry, id(route)))
    return rows


def _tls_rows(route: TLSRoute) -> list[Row[TLSEntry]]:
    return [
        (tls_route_key(hostname, route), (hostname, route), id(route))
        for hostname in route.hostnames or (None,)
    ]


@dataclass(frozen=True, slots=True)
class _Ranked(Generic[_R, _E]):
    """The candidates of a listener's routes of one kind, and those routes by identity."""

    by_id: dict[int, _R] | None
    """None when one route object appears twice (a table may repeat an entry)."""
    ranking: Ranking[_E]


@dataclass(frozen=True, slots=True)
class _Delta(Generic[_R, _E]):
    """Which route objects left and came; with the candidate rows they took out and brought
    when the ranking was updated by them (None: it was sorted anew)."""

    removed: list[_R]
    added: list[_R]
    removed_rows: list[Row[_E]] | None
    added_rows: list[Row[_E]] | None


def _rank(
    routes: Sequence[_R],
    previous: _Ranked[_R, _E] | None,
    rows_of: Callable[[_R], list[Row[_E]]],
) -> tuple[_Ranked[_R, _E], _Delta[_R, _E] | None]:
    """Rank the candidates of `routes`, reusing the previous ranking for the route objects
    both hold (a parsed route stays the same object while its entry is unchanged, see
    RouteParseCache and table_state); the delta is None when it is not known."""
    by_id: dict[int, _R] | None = dict(zip(map(id, routes), routes, strict=True))
    if by_id is not None and len(by_id) != len(routes):
        by_id = None
    if previous is None or previous.by_id is None or by_id is None:
        return _Ranked(by_id, Ranking.sorted([row for r in routes for row in rows_of(r)])), None
    before = previous.by_id
    # In any order: rows of different routes never tie unnoticed, so the order they go in
    # does not matter (Ranking.changed).
    added = [by_id[i] for i in by_id.keys() - before.keys()]
    removed = [before[i] for i in before.keys() - by_id.keys()]
    # With ties the order follows the document, which may have moved routes around.
    if not previous.ranking.ties:
        if not added and not removed:
            return _Ranked(by_id, previous.ranking), _Delta(removed, added, [], [])
        # Inserting one by one costs about what a full sort does once most routes are new.
        if len(added) <= len(routes) // 2 + 8:
            removed_rows = [row for r in removed for row in rows_of(r)]
            added_rows = [row for r in added for row in rows_of(r)]
            ranking = previous.ranking.changed(removed_rows, added_rows)
            if ranking is not None:
                delta = _Delta(removed, added, removed_rows, added_rows)
                return _Ranked(by_id, ranking), delta
    ranking = Ranking.sorted([row for r in routes for row in rows_of(r)])
    return _Ranked(by_id, ranking), _Delta(removed, added, None, None)


def _exact_hostname(hostname: str | None) -> bool:
    """Whether a candidate's hostname matches one host only (see RouteEntry.sort_key)."""
    return hostname is not None and hostname != "" and not hostname.startswith("*.")


def _exact_index(ranking: Ranking[RouteEntry], end: int) -> dict[str, Ranking[RouteEntry]]:
    """The candidates of each exact hostname (the first `end` of the ranking), in order."""
    groups: dict[str, tuple[list[tuple[object, ...]], list[RouteEntry], list[int]]] = {}
    for key, entry, owner in zip(
        ranking.keys[:end], ranking.items[:end], ranking.owners[:end], strict=True
    ):
        hostname = entry.hostname or ""
        group = groups.get(hostname)
        if group is None:
            group = groups[hostname] = ([], [], [])
        group[0].append(key)
        group[1].append(entry)
        group[2].append(owner)
    return {h: Ranking(k, e, o, False) for h, (k, e, o) in groups.items()}


def _exact_index_changed(
    index: dict[str, Ranking[RouteEntry]],
    removed_rows: list[Row[RouteEntry]],
    added_rows: list[Row[RouteEntry]],
) -> dict[str, Ranking[RouteEntry]] | None:
    """The index after taking out and putting in rows, touching only the hostnames they name."""
    removed: dict[str, list[Row[RouteEntry]]] = {}
    added: dict[str, list[Row[RouteEntry]]] = {}
    for rows, by_host in ((removed_rows, removed), (added_rows, added)):
        for row in rows:
            hostname = row[1].hostname
            if hostname is not None and _exact_hostname(hostname):
                by_host.setdefault(hostname, []).append(row)
    if not removed and not added:
        return index
    index = dict(index)
    for hostname in removed.keys() | added.keys():
        before = index.get(hostname) or Ranking([], [], [], False)
        after = before.changed(removed.get(hostname, ()), added.get(hostname, ()))
        if after is None:
            return None
        if after.items:
            index[hostname] = after
        else:
            index.pop(hostname, None)
    return index


def _backend_endpoints(backend: Backend, out: list[EndpointKey]) -> None:
    out.extend((e.ip, e.port) for e in backend.endpoints)
    _filter_endpoints(backend.filters, out)


def _filter_endpoints(filters: Sequence[Filter], out: list[EndpointKey]) -> None:
    for flt in filters:
        if flt.request_mirror is not None:
            _backend_endpoints(flt.request_mirror.backend, out)


def route_endpoints(route: Route | GRPCRoute | TLSRoute) -> list[EndpointKey]:
    """(ip, port) of every endpoint a route can send to, mirrors included (with repeats)."""
    out: list[EndpointKey] = []
    if isinstance(route, TLSRoute):
        for backend in route.backends:
            _backend_endpoints(backend, out)
        return out
    for rule in route.rules:
        _filter_endpoints(rule.filters, out)
        for backend in rule.backends:
            _backend_endpoints(backend, out)
    return out


def _count_endpoints(
    counts: dict[EndpointKey, int], routes: Iterable[Route | GRPCRoute | TLSRoute], step: int
) -> None:
    for route in routes:
        for key in route_endpoints(route):
            left = counts.get(key, 0) + step
            if left:
                counts[key] = left
            else:
                del counts[key]


class CompiledListener:
    """A listener with its candidates pre-sorted by precedence and a per-host cache.

    Given the listener compiled for the table before, the candidates of route objects both
    tables hold are taken over as they are (see ranking.py): a push that changes one route of
    1000 neither rebuilds nor sorts the other 999.
    """

    _http: _Ranked[Route, RouteEntry]
    _grpc: _Ranked[GRPCRoute, GRPCEntry]
    _tls: _Ranked[TLSRoute, TLSEntry]
    _exact: dict[str, Ranking[RouteEntry]] | None

    def __init__(self, listener: Listener, previous: CompiledListener | None = None) -> None:
        self.listener = listener
        self.scheme = "http" if listener.protocol == "HTTP" else "https"
        http, http_delta = _rank(
            listener.routes, previous._http if previous is not None else None, _http_rows
        )
        grpc, grpc_delta = _rank(
            listener.grpc_routes, previous._grpc if previous is not None else None, _grpc_rows
        )
        tls, tls_delta = _rank(
            listener.tls_routes, previous._tls if previous is not None else None, _tls_rows
        )
        self._http, self._grpc, self._tls = http, grpc, tls
        self.entries: list[RouteEntry] = http.ranking.items
        self.grpc_entries: list[GRPCEntry] = grpc.ranking.items
        self.tls_entries: list[TLSEntry] = tls.ranking.items
        self._by_host: dict[str, list[RouteEntry]] = {}
        # Exact-hostname candidates precede all others; those of each hostname are indexed so
        # that a host's first request after a push does not filter every candidate. The index
        # is built at the first request and then kept up to date push by push.
        self._rest_start = bisect_left(http.ranking.keys, _FIRST_NOT_EXACT)
        self._exact = None
        if (
            previous is not None
            and previous._exact is not None
            and http_delta is not None
            and http_delta.removed_rows is not None
            and http_delta.added_rows is not None
        ):
            self._exact = _exact_index_changed(
                previous._exact, http_delta.removed_rows, http_delta.added_rows
            )
        self.endpoints: dict[EndpointKey, int]
        """(ip, port) → how many backends and mirrors of the listener's routes name it."""
        if (
            previous is not None
            and http_delta is not None
            and grpc_delta is not None
            and tls_delta is not None
        ):
            self.endpoints = dict(previous.endpoints)
            _count_endpoints(self.endpoints, http_delta.removed, -1)
            _count_endpoints(self.endpoints, grpc_delta.removed, -1)
            _count_endpoints(self.endpoints, tls_delta.removed, -1)
            _count_endpoints(self.endpoints, http_delta.added, 1)
            _count_endpoints(self.endpoints, grpc_delta.added, 1)
            _count_endpoints(self.endpoints, tls_delta.added, 1)
        else:
            self.endpoints = {}
            _count_endpoints(self.endpoints, listener.routes, 1)
            _count_endpoints(self.endpoints, listener.grpc_routes, 1)
            _count_endpoints(self.endpoints, listener.tls_routes, 1)

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
            if self._exact is None:
                self._exact = _exact_index(self._http.ranking, self._rest_start)
            exact = self._exact.get(host)
            found = [] if exact is None else exact.items.copy()
            found += [
                e
                for e in islice(self.entries, self._rest_start, None)
                if hostname_matches(e.hostname, host)
            ]
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

    def __init__(
        self,
        port: int,
        listeners: Sequence[Listener],
        previous: Mapping[str, CompiledListener] | None = None,
    ) -> None:
        self.port = port
        before = previous or {}

        def compiled(lst: Listener) -> CompiledListener:
            # The listener compiled before under the same name, if any, is where to start
            # from; an unchanged listener (the same object) is that compiled listener.
            earlier = before.get(lst.name)
            if earlier is not None and earlier.listener is lst:
                return earlier
            return CompiledListener(lst, earlier)

        self.listeners = sorted(
            (compiled(lst) for lst in listeners),
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

    def __init__(self, table: RoutingTable, previous: CompiledTable | None = None) -> None:
        """`previous`, the table in force, only saves work: the result is the same without."""
        self.table = table
        self.version = table.version
        before: dict[str, CompiledListener] = {}
        if previous is not None:
            for pl in previous.ports.values():
                for c in pl.listeners:
                    before[c.listener.name] = c
        grouped: dict[int, list[Listener]] = {}
        for lst in table.listeners:
            grouped.setdefault(lst.port, []).append(lst)
        self.ports: dict[int, PortListeners] = {
            port: PortListeners(port, lsts, before) for port, lsts in grouped.items()
        }

    def endpoint_keys(self) -> set[tuple[str, int]]:
        """(ip, port) of every endpoint the table can send to, mirrors included."""
        return set().union(*(c.endpoints for pl in self.ports.values() for c in pl.listeners))


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
