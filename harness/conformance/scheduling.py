"""xdist scheduling for conformance runs: non-parallel scenarios one at a time, as upstream.

Upstream runs every test not marked ``Parallel`` alone. Ours share the base Gateways
and some route names, so two of them side by side would judge each other's objects.
Under ``pytest -n N`` the plugin therefore hands xdist this scheduler: every scenario
that the catalogue does not mark parallel belongs to one scope (``SERIAL_SCOPE``),
which xdist gives to a single worker in order; every other test is its own scope and
spreads over the workers. (xdist's own ``--dist loadgroup`` cannot be used: it renames
node ids, which this pytest no longer allows, so its groups are silently ignored.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xdist.scheduler import LoadScopeScheduling

SERIAL_SCOPE = "gwh-serial"


class SerialGroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """LoadScope scheduling whose scope is ``SERIAL_SCOPE`` for non-parallel scenarios."""

    def __init__(self, config: Any, log: Any, is_serial: Callable[[str], bool]) -> None:
        super().__init__(config, log)
        self._is_serial = is_serial

    def _split_scope(self, nodeid: str) -> str:
        return SERIAL_SCOPE if self._is_serial(nodeid) else nodeid

    def remove_node(self, node: Any) -> str | None:
        """Like LoadScope's, but the test that crashed the worker is not run again.

        xdist re-queues the whole unfinished scope, crashed test included, so with one
        big serial scope a test that kills its worker would do so on every replacement.
        It is reported failed once (xdist's crash report) and the rest of the scope goes on.
        """
        workload = self.assigned_work.pop(node)
        if not self._pending_of(workload):
            return None
        crashed: str | None = None
        for unit in workload.values():
            for nodeid, completed in unit.items():
                if not completed:
                    crashed = nodeid
                    unit[nodeid] = True
                    break
            if crashed is not None:
                break
        for scope, unit in workload.items():
            if not all(unit.values()):
                self.workqueue[scope] = unit
        for other in self.assigned_work:
            self._reschedule(other)
        return crashed
