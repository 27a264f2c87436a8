"""What every connection of a worker shares: the table in force, the forwarder, the RNG."""

from __future__ import annotations

import random
from typing import Protocol

from reference_impl.proxy.forwarder import Forwarder
from reference_impl.proxy.route_memo import RouteMemo
from reference_impl.proxy.routing import CompiledTable
from reference_impl.proxy.upstream import UpstreamPool
from reference_impl.proxy.write_batch import WriteBatch


class Reapable(Protocol):
    """A client connection the idle reaper may close."""

    def reap_if_idle(self, now: float) -> None:
        """Close the connection when it has been idle too long."""

    def close_if_idle(self) -> bool:
        """Close unless busy; True while a request is still in flight."""


class WorkerState:
    """Swapping `table` is atomic: each request reads it once."""

    def __init__(self) -> None:
        self.table: CompiledTable | None = None
        self.rng = random.Random()
        self.writes = WriteBatch()  # client and backend writes of one loop iteration, together
        self.pool = UpstreamPool(self.writes)
        self.forwarder = Forwarder(self.pool, self.rng)
        self.routes = RouteMemo()
        self.connections: set[Reapable] = set()

    def drain_step(self) -> bool:
        """Close idle connections; True while some still serve a request."""
        return any([conn.close_if_idle() for conn in list(self.connections)])

    def reap_idle(self, now: float) -> None:
        """Give every client connection the chance to close itself when idle."""
        for conn in list(self.connections):
            conn.reap_if_idle(now)
        self.forwarder.h2_pool.reap_idle(now)  # backend HTTP/2 connections without streams
