"""The fixed send schedule of one worker in an open-loop run.

Slots of all workers interleave: worker ``i`` of ``W`` owns global slots
``i, i+W, i+2W, ...`` of a schedule at ``rate`` per second, so the merged
arrivals are evenly spaced whatever the number of workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerSchedule:
    """Intended send times, as offsets in seconds from the common start."""

    rate: float  # total over all workers
    workers: int
    worker_index: int
    duration_s: float

    @property
    def interval_s(self) -> float:
        return self.workers / self.rate

    @property
    def offset_s(self) -> float:
        return self.worker_index / self.rate

    @property
    def total_slots(self) -> int:
        """Slots whose intended time falls inside ``[0, duration_s)``."""
        if self.offset_s >= self.duration_s:
            return 0
        return math.ceil((self.duration_s - self.offset_s) / self.interval_s - 1e-9)

    def intended_at(self, slot: int) -> float:
        return self.offset_s + slot * self.interval_s

    def due_by(self, elapsed_s: float) -> int:
        """How many slots are due once ``elapsed_s`` seconds have passed."""
        if elapsed_s < self.offset_s:
            return 0
        return min(self.total_slots, math.floor((elapsed_s - self.offset_s) / self.interval_s) + 1)
