"""Hostname intersection between a listener and a route (wildcards are a leading '*.' label)."""

from __future__ import annotations

from collections.abc import Sequence


def _suffix_matches(wildcard: str, host: str) -> bool:
    """Whether '*.<suffix>' covers host: one or more labels in front of the suffix."""
    return host.endswith(wildcard[1:]) and len(host) > len(wildcard) - 1


def intersect(listener: str | None, route: str) -> str | None:
    """The hostname both accept, or None when they do not intersect."""
    route = route.lower()
    if not listener:
        return route
    listener = listener.lower()
    if listener == route:
        return route
    l_wild, r_wild = listener.startswith("*."), route.startswith("*.")
    if l_wild and r_wild:  # the more specific wildcard is the intersection
        if route[1:].endswith(listener[1:]):
            return route
        if listener[1:].endswith(route[1:]):
            return listener
        return None
    if l_wild:
        return route if _suffix_matches(listener, route) else None
    if r_wild:
        return listener if _suffix_matches(route, listener) else None
    return None


def route_hostnames_for_listener(
    listener: str | None, route_hostnames: Sequence[str]
) -> list[str] | None:
    """The route's hostnames as seen on that listener.

    An empty list means "every host the listener accepts" (the route names none); None means
    the route names hostnames and none of them intersects the listener's.
    """
    if not route_hostnames:
        return []
    result: list[str] = []
    for host in route_hostnames:
        hit = intersect(listener, host)
        if hit is not None and hit not in result:
            result.append(hit)
    return result or None
