"""The table in force in one proxy process, and how a PUT or PATCH /config moves it on.

A PATCH answers exactly as `parse(apply_patch(document in force, patch))` would: same table,
same refusals. Done that way literally, a one-route patch at 1000 routes walks every route
entry of the table again. `advance` takes a shorter way for the patch the controller sends
(every listener carrying `routeChanges`) and treats only what it touches:

* apply_patch keeps every unchanged entry as the very object of the table before, and route
  entries are parsed on their own: their parse does not depend on the listener, except for the
  check of the route kind against the listener protocol (TLSRoute only on TLS listeners). So an
  unchanged entry parses to what it parsed to before, and the check still holds when the
  listener is still (or still not) TLS. Kept entries take their parsed object from the state.
* Entries the patch sets are parsed and checked; the listeners' own fields and the checks
  across listeners (ports, hostnames) are all parsed and run again, as parse() does.
* The resulting listener's routes are in the order apply_patch gives the document: the same
  removals and insertions are made, in the same order, on the parsed entries by key.

Anything else (a whole listener in the patch, a listener switching between TLS and the other
protocols), and any patch the short way finds invalid, goes the long way, which then decides
and words the refusal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from reference_impl.routing_table import (
    GRPCRoute,
    Listener,
    ParsedEntry,
    Route,
    RouteParseCache,
    RoutingTable,
    TLSRoute,
    parse,
    parse_listener,
    parse_route_entry,
    table_of,
)
from reference_impl.table_patch import (
    RouteKey,
    TableDocument,
    apply_patch,
    patched_document,
    route_key,
)


@dataclasses.dataclass(frozen=True)
class ListenerState:
    """One listener of the table in force, with its route entries parsed, by key."""

    settings: Listener
    """The listener's own fields, without routes."""
    listener: Listener
    parsed: dict[RouteKey, ParsedEntry]
    """Keys in the order of TableDocument.routes of this listener."""

    @property
    def complete(self) -> bool:
        """Whether `listener` holds exactly `parsed` (a table may list one route twice)."""
        held = self.listener
        return len(held.routes) + len(held.grpc_routes) + len(held.tls_routes) == len(self.parsed)


@dataclasses.dataclass(frozen=True)
class TableState:
    """A validated table: its document (which patches apply to) and its parsed form."""

    document: TableDocument
    table: RoutingTable
    listeners: Mapping[str, ListenerState]
    """By listener name (the last of a name wins, as in TableDocument.routes)."""


def advance(state: TableState | None, doc: Any, cache: RouteParseCache, patch: bool) -> TableState:
    """The state after a full table (`patch` False) or a patch of `state`.

    Raises BaseMismatch or ValueError as `parse(apply_patch(...))` does; `state` is left as
    it was either way.
    """
    if patch:
        shorter = _patched(state, doc, cache)
        if shorter is not None:
            return shorter
        full = apply_patch(state.document if state is not None else None, doc)
    else:
        full = doc
    table = parse(full, cache)
    return _indexed(TableDocument.of(full), table)


def _indexed(document: TableDocument, table: RoutingTable) -> TableState:
    """The state of a table parse() accepted, with each entry's parsed object by key."""
    states: dict[str, ListenerState] = {}
    for listener_doc, listener in zip(document.doc["listeners"], table.listeners, strict=True):
        of_kind: dict[str, Any] = {
            "HTTPRoute": iter(listener.routes),
            "GRPCRoute": iter(listener.grpc_routes),
            "TLSRoute": iter(listener.tls_routes),
        }
        parsed: dict[RouteKey, ParsedEntry] = {}
        for entry in listener_doc.get("routes") or ():
            parsed[route_key(entry)] = next(of_kind[entry["kind"]])
        settings = dataclasses.replace(listener, routes=(), grpc_routes=(), tls_routes=())
        states[listener.name] = ListenerState(settings, listener, parsed)
    return TableState(document, table, states)


def _patched(state: TableState | None, patch: Any, cache: RouteParseCache) -> TableState | None:
    """The state after a patch whose listeners all carry routeChanges; None: go the long way."""
    if state is None or not isinstance(patch, dict):
        return None
    changes = patch.get("listeners")
    if not isinstance(changes, list) or not all(
        isinstance(item, dict) and item.get("routeChanges") is not None for item in changes
    ):
        return None
    document = patched_document(state.document, patch)  # raises as apply_patch does
    try:
        return _patched_listeners(state, document, changes, cache)
    except ValueError:
        return None  # invalid: the long way names the problem as parse() words it


def _patched_listeners(
    state: TableState,
    document: TableDocument,
    changes: list[dict[str, Any]],
    cache: RouteParseCache,
) -> TableState | None:
    doc = document.doc
    listeners: list[Listener] = []
    states: dict[str, ListenerState] = {}
    adopted: list[tuple[dict[str, Any], ParsedEntry]] = []
    dropped: list[dict[str, Any]] = []
    for i, (listener_doc, listener_changes) in enumerate(
        zip(doc["listeners"], changes, strict=True)
    ):
        where = f"table.listeners[{i}]"
        name = listener_doc["name"]  # a str: apply_patch found the base listener by it
        base = state.listeners.get(name)
        if base is None:
            return None
        settings = parse_listener({k: v for k, v in listener_doc.items() if k != "routes"}, where)
        if (settings.protocol == "TLS") != (base.settings.protocol == "TLS"):
            return None  # every kept entry's kind must be checked against the new protocol
        entries = document.routes[name]
        base_entries = state.document.routes[name]
        route_changes = listener_changes["routeChanges"]
        # The same steps as apply_patch's on the document, so the keys keep its order.
        parsed: dict[RouteKey, ParsedEntry | None] = dict(base.parsed)
        touched: list[RouteKey] = []
        for ref in route_changes.get("remove") or ():
            key = route_key(ref)
            parsed.pop(key, None)
            touched.append(key)
        for entry in route_changes.get("set") or ():
            key = route_key(entry)
            parsed[key] = None  # parsed below, once: a later set of the same key wins
            touched.append(key)
        changed = False
        only_http = True  # whether every entry parsed here is an HTTPRoute
        for key in touched:
            before, after = base_entries.get(key), entries.get(key)
            if before is after:
                continue
            changed = True
            if before is not None:
                dropped.append(before)
            if after is not None and parsed[key] is None:
                parsed_entry = parse_route_entry(after, f"{where}.routes", settings.protocol)
                parsed[key] = parsed_entry
                adopted.append((after, parsed_entry))
                only_http = only_http and isinstance(parsed_entry, Route)
        done: dict[RouteKey, ParsedEntry] = parsed  # type: ignore[assignment]
        if not changed and settings == base.settings and base.complete:
            listener = base.listener
        else:
            listener = _with_routes(settings, done, only_http and not base.listener.grpc_routes)
        listeners.append(listener)
        states[name] = ListenerState(settings, listener, done)
    version = doc.get("version")
    gateway = doc.get("gateway")
    if not isinstance(version, int) or isinstance(version, bool):
        return None
    if not isinstance(gateway, dict):
        return None
    table = table_of(doc, version, gateway, tuple(listeners))
    for name in state.listeners.keys() - states.keys():
        dropped.extend(state.document.routes.get(name, {}).values())
    for entry_doc in dropped:
        cache.forget(entry_doc)
    for entry_doc, parsed_entry in adopted:
        cache.adopt(entry_doc, parsed_entry)
    return TableState(document, table, states)


def _with_routes(
    settings: Listener, parsed: dict[RouteKey, ParsedEntry], only_http: bool
) -> Listener:
    """The listener holding the parsed entries, split by kind in document order.

    `only_http`: every entry is known to be an HTTPRoute (the only kind the base listener
    held, and the only kind set), so no entry needs looking at."""
    entries = parsed.values()
    if settings.protocol == "TLS":  # only TLSRoutes pass the kind check here
        tls = tuple(entries)
        return dataclasses.replace(settings, tls_routes=tls)  # type: ignore[arg-type]
    if only_http:
        return dataclasses.replace(settings, routes=tuple(entries))  # type: ignore[arg-type]
    return dataclasses.replace(
        settings,
        routes=tuple(p for p in entries if isinstance(p, Route)),
        grpc_routes=tuple(p for p in entries if isinstance(p, GRPCRoute)),
        tls_routes=tuple(p for p in entries if isinstance(p, TLSRoute)),
    )
