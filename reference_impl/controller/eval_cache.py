"""Per-route results carried from one reconcile to the next while only routes changed.

At 1000 routes a change touches one route, yet a full evaluation walks all of them. A route's
attachment, status and table entry depend on the route itself (its resourceVersion) and on
the "context": every other watched object. The store counts context changes; while that count
stays the same, a route whose resourceVersion is unchanged gets its earlier results back.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

_T = TypeVar("_T")


class RouteEvalCache:
    """Memo of per-route results, dropped whenever the context changes."""

    def __init__(self) -> None:
        self._context: Hashable = None
        self._kept: dict[Hashable, Any] = {}
        self._fresh: dict[Hashable, Any] = {}
        self._kept_objects: dict[int, _ObjectMemo] = {}
        self._fresh_objects: dict[int, _ObjectMemo] = {}
        self.hits = 0
        self.misses = 0

    def begin(self, context: Hashable) -> None:
        """Start a reconcile; a different context forgets everything kept so far."""
        if context != self._context:
            self._kept = {}
            self._kept_objects = {}
            self._context = context
        self._fresh = {}
        self._fresh_objects = {}

    def end(self) -> None:
        """Keep exactly what this reconcile used (deleted routes are let go)."""
        self._kept, self._fresh = self._fresh, {}
        self._kept_objects, self._fresh_objects = self._fresh_objects, {}

    def memo_of(self, kind: str, route: dict[str, Any]) -> RouteMemo | None:
        """The memo of this route version; None (not cacheable) without a resourceVersion.

        The store hands out the same object until the route changes, so the object itself
        finds its memo first; its (kind, name, uid, resourceVersion) finds it otherwise.
        """
        found = self._fresh_objects.get(id(route))
        if found is not None and found.route is route and found.kind == kind:
            return found.memo
        found = self._kept_objects.get(id(route))
        if found is not None and found.route is route and found.kind == kind:
            self.hits += 1
            self._fresh[found.identity] = found.memo
        else:
            identity = route_identity(kind, route)
            if identity is None:
                return None
            found = _ObjectMemo(route, kind, identity, self.get(identity, RouteMemo))
        self._fresh_objects[id(route)] = found
        return found.memo

    def get(self, key: Hashable, make: Callable[[], _T]) -> _T:
        """The result for key: kept from an earlier reconcile, or made now."""
        if key in self._fresh:
            return self._fresh[key]  # type: ignore[no-any-return]
        if key in self._kept:
            self.hits += 1
            value = self._kept[key]
        else:
            self.misses += 1
            value = make()
        self._fresh[key] = value
        return value  # type: ignore[no-any-return]

    def __len__(self) -> int:
        return len(self._kept)


class RouteMemo:
    """What is kept for one version of one route: its evaluation, status and table entries."""

    __slots__ = ("entries", "evaluated", "status")

    def __init__(self) -> None:
        self.evaluated: Any = None
        """(rule problems, attachments) before collisions with other routes."""
        self.status: tuple[Sequence[Any], Any] | None = None
        """(the attachments it was computed for, the status)."""
        self.entries: dict[Hashable, Any] = {}
        """Table entries by (hostnames, listener TLS mode)."""


class _ObjectMemo:
    """A route object with its memo; holding the object keeps its id from being reused."""

    __slots__ = ("identity", "kind", "memo", "route")

    def __init__(
        self, route: dict[str, Any], kind: str, identity: Hashable, memo: RouteMemo
    ) -> None:
        self.route = route
        self.kind = kind
        self.identity = identity
        self.memo = memo


def route_identity(kind: str, route: dict[str, Any]) -> Hashable | None:
    """What a route's cached results are keyed by; None (not cacheable) without a version."""
    meta = route.get("metadata") or {}
    version = meta.get("resourceVersion")
    if version is None:
        return None
    return (kind, meta.get("namespace"), meta.get("name"), meta.get("uid"), str(version))
