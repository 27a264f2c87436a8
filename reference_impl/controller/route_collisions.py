"""HTTPRoute vs GRPCRoute on one listener: with intersecting hostnames only the older is accepted.

GRPCRoute godoc: when an HTTPRoute and a GRPCRoute attached to the same listener have
intersecting hostnames, exactly one is accepted, the oldest by creationTimestamp, then by
"{namespace}/{name}". The loser keeps any other listener it attached to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from reference_impl.controller.eval_cache import RouteMemo
from reference_impl.controller.hostnames import intersect
from reference_impl.controller.model import Key, Obj, key_of
from reference_impl.controller.route_attachment import ParentAttachment

COLLIDING_KINDS = frozenset({"HTTPRoute", "GRPCRoute"})


@dataclasses.dataclass(slots=True)
class AttachedRoute:
    """One route and its attachments, as evaluated before statuses are written."""

    kind: str
    route: Obj
    problems: Sequence[str | None]
    attachments: Sequence[ParentAttachment]
    """Shared with the route cache: replaced, never changed in place."""
    key: Key
    """The route's (namespace, name)."""
    memo: RouteMemo | None = None


def hostnames_intersect(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether two hostname lists on one listener share a host ([] means every host)."""
    if not a or not b:
        return True
    return any(intersect(x, y) is not None for x in a for y in b)


class HostIndex:
    """The hostnames the routes of one kind hold on one listener, for fast collision checks."""

    def __init__(self) -> None:
        self.first: str | None = None
        self.any: str | None = None
        self.exact: dict[str, str] = {}
        self.wildcards: dict[str, str] = {}
        """'.example.com' (for '*.example.com') -> the route holding it."""

    def add(self, hosts: Sequence[str], label: str) -> None:
        self.first = self.first or label
        if not hosts:
            self.any = self.any or label
        for host in (h.lower() for h in hosts):
            if host.startswith("*."):
                self.wildcards.setdefault(host[1:], label)
            else:
                self.exact.setdefault(host, label)

    def colliding(self, hosts: Sequence[str]) -> str | None:
        """A route whose hostnames intersect these, or None."""
        if self.first is None:
            return None
        if not hosts:
            return self.first
        if self.any is not None:
            return self.any
        for host in (h.lower() for h in hosts):
            found = self._colliding_host(host)
            if found is not None:
                return found
        return None

    def _colliding_host(self, host: str) -> str | None:
        wildcard = host.startswith("*.")
        name = host[1:] if wildcard else host
        if not wildcard and name in self.exact:
            return self.exact[name]
        # Wildcards covering this host (or this wildcard): every '.suffix' of it.
        start = 0 if wildcard else name.find(".")
        while start != -1:
            if name[start:] in self.wildcards:
                return self.wildcards[name[start:]]
            start = name.find(".", start + 1)
        if wildcard:  # names and narrower wildcards this wildcard covers
            for other, label in self.exact.items():
                if other.endswith(name):
                    return label
            for other, label in self.wildcards.items():
                if other.endswith(name):
                    return label
        return None


def resolve_kind_collisions(routes: Sequence[AttachedRoute]) -> None:
    """Drop the younger route's listener where an HTTPRoute and a GRPCRoute collide (in place)."""
    if not {r.kind for r in routes} >= COLLIDING_KINDS:
        return  # one kind alone never collides
    indexes: dict[tuple[Key, str, str], HostIndex] = {}
    candidates = sorted(
        (r for r in routes if r.kind in COLLIDING_KINDS),
        key=lambda r: (_created(r.route), "/".join(key_of(r.route))),
    )
    for item in candidates:
        label = f"{item.kind} {'/'.join(key_of(item.route))}"
        (other_kind,) = COLLIDING_KINDS - {item.kind}
        for index, attachment in enumerate(item.attachments):
            if not attachment.accepted:
                continue
            kept: dict[str, list[str]] = {}
            losses: list[str] = []
            for listener, hosts in attachment.listener_hostnames.items():
                other = indexes.get((attachment.gateway, listener, other_kind))
                winner = other.colliding(hosts) if other is not None else None
                if winner is None:
                    kept[listener] = hosts
                    own = indexes.setdefault((attachment.gateway, listener, item.kind), HostIndex())
                    own.add(hosts, label)
                else:
                    losses.append(
                        f"listener {listener} serves the older {winner} on the same hostnames"
                    )
            if not losses:
                continue
            attachments = list(item.attachments)
            item.attachments = attachments
            if kept:
                attachments[index] = dataclasses.replace(attachment, listener_hostnames=kept)
            else:
                attachments[index] = dataclasses.replace(
                    attachment,
                    reason="NotAllowedByListeners",
                    message="HTTPRoute and GRPCRoute hostnames collide: " + "; ".join(losses),
                    listener_hostnames={},
                )


def _created(route: Obj) -> str:
    return str((route.get("metadata") or {}).get("creationTimestamp") or "")
