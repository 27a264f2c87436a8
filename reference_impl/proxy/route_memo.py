"""Remembers which HTTPRoute rule a request line and Host select, per routing table.

Listener choice and rule matching are pure functions of the table and the request; when no
candidate ahead of the chosen rule (nor the rule itself) looks at headers, they depend only on
port, TLS/SNI, Host, method and request-target. Such results are remembered, so a repeated
request skips host normalisation, listener isolation and match scanning. Filters and the
weighted backend choice (random per request) still run for every request.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from reference_impl.proxy.plan import Decision, Forward, IncomingRequest, plan, plan_for_entry
from reference_impl.proxy.routing import (
    CompiledTable,
    RequestView,
    RouteEntry,
    choose_listener,
    normalize_host,
    request_matches,
)
from reference_impl.routing_table import Backend

# request-targets carry query strings, so the key space is open: bound it
MEMO_LIMIT = 4096

MemoKey = tuple[int, bool, str | None, str, str, str]


@dataclass(frozen=True, slots=True)
class MatchedRule:
    """What plan() would have worked out before running the rule."""

    entry: RouteEntry
    scheme: str
    host: str
    path: str
    query: str
    # the backend every request of the rule goes to, when no filter or weight can change that
    only: Backend | None = None
    target: str = ""  # path and query as forwarded


def _only_backend(entry: RouteEntry) -> Backend | None:
    """What plan_for_entry forwards to without drawing from the RNG or running filters."""
    rule = entry.rule
    if rule.filters or len(rule.backends) != 1:
        return None
    backend = rule.backends[0]
    if backend.weight > 0 and backend.valid and not backend.filters and backend.endpoints:
        return backend
    return None


def header_independent_match(table: CompiledTable, req: IncomingRequest) -> MatchedRule | None:
    """The rule a request selects, when neither the listener nor the match reads headers.

    None means "ask plan()": no listener or no rule (404 bodies depend on gRPC content-type),
    a listener with GRPCRoutes (gRPC requests are told apart by content-type), or a header
    match that decided or could have decided the outcome.
    """
    host = normalize_host(req.authority)
    compiled = choose_listener(table.ports, req.port, host, req.tls, req.sni).listener
    if compiled is None or compiled.grpc_entries:
        return None
    path, query = req.split_target()
    view = RequestView(req.method, host, path, query, ())
    for entry in compiled.candidates(host):
        if entry.match.headers:
            return None
        if request_matches(entry.match, view):
            target = path + ("?" + query if query else "")
            only = _only_backend(entry)
            return MatchedRule(entry, compiled.scheme, host, path, query, only, target)
    return None


class RouteMemo:
    """plan() with the header-independent part remembered for the table in force."""

    def __init__(self) -> None:
        self.table: CompiledTable | None = None
        self.matches: dict[MemoKey, MatchedRule | None] = {}

    def plan(self, table: CompiledTable, req: IncomingRequest, rng: random.Random) -> Decision:
        """The same decision plan() makes for this request."""
        if table is not self.table:
            self.table = table
            self.matches = {}
        key = (req.port, req.tls, req.sni, req.authority, req.method, req.target)
        try:
            matched = self.matches[key]
        except KeyError:
            matched = header_independent_match(table, req)
            if len(self.matches) >= MEMO_LIMIT:
                self.matches.clear()
            self.matches[key] = matched
        if matched is None:
            return plan(table, req, rng)
        only = matched.only
        if only is not None:
            # plan_for_entry's own shortcut, with the backend and target worked out once
            rule = matched.entry.rule
            return Forward(
                only,
                req.method,
                req.authority,
                matched.target,
                req.headers,
                (),
                None,
                rule.timeouts,
                rule.retry,
                (),
                matched.entry.route_key,
            )
        return plan_for_entry(
            matched.entry, req, matched.scheme, matched.host, matched.path, matched.query, rng
        )
