"""Candidates in precedence order, updated route by route instead of sorted again.

A listener's candidates (one per hostname, rule and match of a route) are ordered by a
precedence key; candidates with equal keys stay in the order of their routes in the document,
which is what a stable sort of the document's candidates gives. When a push changes one route
out of 1000, the candidates of the routes that left are taken out by binary search on their
keys and those of the new routes are put in the same way, instead of sorting every key again.

That reproduces the full sort exactly as long as no two candidates of *different* routes have
equal keys: their order would depend on where the routes stand in the document, which a ranking
does not keep. Keys end in `namespace/name`, rule index and match index, so only a malformed
table (one route twice on a listener, names holding "/") has such ties. They are noticed where
they arise (`Ranking.ties`, `Ranking.changed` answering None) and the caller sorts everything.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from operator import itemgetter
from typing import Generic, TypeVar

Key = tuple[object, ...]
E = TypeVar("E")
Row = tuple[Key, E, int]
"""A candidate with its precedence key and the id() of the route object it comes from."""

_key_of = itemgetter(0)


class Ranking(Generic[E]):
    """Candidates sorted by key (`items`), with their keys and the ids of their routes."""

    __slots__ = ("items", "keys", "owners", "ties")

    def __init__(self, keys: list[Key], items: list[E], owners: list[int], ties: bool) -> None:
        self.keys = keys
        self.items = items
        self.owners = owners
        self.ties = ties
        """Whether candidates of two different routes have equal keys."""

    @classmethod
    def sorted(cls, rows: list[Row[E]]) -> Ranking[E]:
        """The rows, given in document order, sorted stably by key."""
        rows.sort(key=_key_of)
        keys = [row[0] for row in rows]
        owners = [row[2] for row in rows]
        ties = any(
            keys[i] == keys[i - 1] and owners[i] != owners[i - 1] for i in range(1, len(rows))
        )
        return cls(keys, [row[1] for row in rows], owners, ties)

    def changed(self, removed: Iterable[Row[E]], added: Iterable[Row[E]]) -> Ranking[E] | None:
        """A new ranking without the `removed` rows and with the `added` ones, or None when an
        added row ties with another route's row (then only a full sort knows the order).

        `added` lists each new route's rows in the order the route yields them; rows of one
        route with equal keys then keep that order, as in a stable sort. Candidates that stay
        keep their relative order, so without ties before or after the result is the sorted
        order of the rows it holds. The ranking itself is left as it is.
        """
        keys, items, owners = self.keys.copy(), self.items.copy(), self.owners.copy()
        for key, _, owner in removed:
            i = bisect_left(keys, key)
            while i < len(keys) and owners[i] != owner and keys[i] == key:
                i += 1
            if i == len(keys) or owners[i] != owner or keys[i] != key:
                return None  # not held: the caller's bookkeeping is off, sort everything
            del keys[i], items[i], owners[i]
        for key, item, owner in added:
            i = bisect_right(keys, key)
            # Equal keys sit just left of i. An earlier row of the same route may be there;
            # it was checked against its own left neighbour when it went in.
            if i and owners[i - 1] != owner and keys[i - 1] == key:
                return None
            keys.insert(i, key)
            items.insert(i, item)
            owners.insert(i, owner)
        return Ranking(keys, items, owners, self.ties)
