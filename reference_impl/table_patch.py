"""Table patches: the changes between two routing tables, so a push need not resend 1000 routes.

A patch (`PATCH /config`, see routing_table.md) names the table it applies to (`baseVersion`)
and lists every listener of the new table; a listener that kept its settings may carry only its
route changes (`routeChanges`), matched by the route's kind, namespace and name. Applying one is
pure dictionary work: the result is a full table document whose unchanged route entries are the
very objects of the base table, so RouteParseCache recognises them without looking inside.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

RouteKey = tuple[str, str, str]
"""(kind, namespace, name): a route appears at most once on a listener."""


class BaseMismatch(ValueError):
    """The patch was made for another table than the one in force."""


@dataclasses.dataclass(frozen=True)
class TableDocument:
    """A full table document, and each listener's route entries by key."""

    doc: dict[str, Any]
    routes: Mapping[str, dict[RouteKey, dict[str, Any]]]
    """Listener name -> its route entries (the same objects as in `doc`)."""

    @property
    def version(self) -> int | None:
        value = self.doc.get("version")
        return value if isinstance(value, int) else None

    @classmethod
    def of(cls, doc: dict[str, Any]) -> TableDocument:
        """Index a full document (one that parse() accepted)."""
        routes: dict[str, dict[RouteKey, dict[str, Any]]] = {}
        for listener in doc.get("listeners") or ():
            routes[str(listener.get("name"))] = {
                route_key(entry): entry for entry in listener.get("routes") or ()
            }
        return cls(doc, routes)


def route_key(entry: Mapping[str, Any]) -> RouteKey:
    """The identity of a route entry within a listener."""
    return (
        str(entry.get("kind") or "HTTPRoute"),
        str(entry.get("namespace") or ""),
        str(entry.get("name") or ""),
    )


def is_patch(doc: Mapping[str, Any]) -> bool:
    """Whether a document is a patch rather than a full table."""
    return "baseVersion" in doc


def apply_patch(base: TableDocument | None, patch: Any) -> dict[str, Any]:
    """The full table document the patch describes; ValueError names what is wrong.

    Raises BaseMismatch when `baseVersion` is not the base's version: the sender must then
    send the full table.
    """
    return _apply(base, patch)[0]


def patched_document(base: TableDocument | None, patch: Any) -> TableDocument:
    """apply_patch's document, indexed as TableDocument.of indexes it, with the route entries
    of every listener that carried `routeChanges` indexed without walking them again.

    Like TableDocument.of, meant for a result that parse() accepts: the entries of a listener
    sent whole are indexed as they come.
    """
    doc, changed = _apply(base, patch)
    routes: dict[str, dict[RouteKey, dict[str, Any]]] = {}
    for i, listener in enumerate(doc["listeners"]):
        index = changed.get(i)
        if index is None:
            index = {route_key(entry): entry for entry in listener.get("routes") or ()}
        routes[str(listener.get("name"))] = index
    return TableDocument(doc, routes)


def _apply(
    base: TableDocument | None, patch: Any
) -> tuple[dict[str, Any], dict[int, dict[RouteKey, dict[str, Any]]]]:
    """The full document, and the route entries by key of each listener (by position) that
    carried `routeChanges`."""
    if not isinstance(patch, dict):
        raise ValueError("patch: expected a JSON object")
    base_version = patch.get("baseVersion")
    if not isinstance(base_version, int) or isinstance(base_version, bool):
        raise ValueError("patch.baseVersion: expected an integer")
    if base is None or base.version != base_version:
        held = "no table" if base is None else f"version {base.version}"
        raise BaseMismatch(
            f"patch.baseVersion {base_version} does not match the table in force ({held})"
        )
    listeners = patch.get("listeners")
    if not isinstance(listeners, list):
        raise ValueError("patch.listeners: expected a list")
    full: list[dict[str, Any]] = []
    changed: dict[int, dict[RouteKey, dict[str, Any]]] = {}
    for i, listener in enumerate(listeners):
        where = f"patch.listeners[{i}]"
        if not isinstance(listener, dict):
            raise ValueError(f"{where}: expected an object")
        changes = listener.get("routeChanges")
        if changes is None:
            full.append(listener)
            continue
        if "routes" in listener:
            raise ValueError(f"{where}: give either routes or routeChanges, not both")
        name = listener.get("name")
        previous = base.routes.get(name) if isinstance(name, str) else None
        if previous is None:
            raise ValueError(f"{where}.routeChanges: the base table has no listener {name!r}")
        routes = _changed_routes(previous, changes, f"{where}.routeChanges")
        changed[i] = routes
        full.append(
            {
                **{k: v for k, v in listener.items() if k != "routeChanges"},
                "routes": list(routes.values()),
            }
        )
    doc = {k: v for k, v in patch.items() if k != "baseVersion"}
    doc["listeners"] = full
    return doc, changed


def _changed_routes(
    previous: Mapping[RouteKey, dict[str, Any]], changes: Any, where: str
) -> dict[RouteKey, dict[str, Any]]:
    if not isinstance(changes, dict):
        raise ValueError(f"{where}: expected an object")
    removed = changes.get("remove") or []
    updated = changes.get("set") or []
    if not isinstance(removed, list) or not isinstance(updated, list):
        raise ValueError(f"{where}: set and remove must be lists")
    routes = dict(previous)
    for j, ref in enumerate(removed):
        if not isinstance(ref, dict):
            raise ValueError(f"{where}.remove[{j}]: expected an object")
        routes.pop(route_key(ref), None)
    for j, entry in enumerate(updated):
        if not isinstance(entry, dict):
            raise ValueError(f"{where}.set[{j}]: expected an object")
        routes[route_key(entry)] = entry
    return routes
