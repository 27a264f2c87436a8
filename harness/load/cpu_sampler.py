"""Sample the CPU use of the worker processes while a run is under way.

Two figures per worker and interval, in % of one core: the CPU it used, and its
CPU *demand*: time running plus time runnable but waiting for a core (Linux
``/proc/<pid>/schedstat``). On a machine whose cores are shared, a saturated
worker may use only 70% of a core while demanding 100%.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psutil

SAMPLE_INTERVAL_S = 0.25


def _scheduled_ns(pid: int) -> int | None:
    """Nanoseconds spent on a CPU plus waiting in a run queue, or None off Linux."""
    try:
        running, waiting, _slices = Path(f"/proc/{pid}/schedstat").read_text().split()
    except (OSError, ValueError):
        return None
    return int(running) + int(waiting)


class CpuSampler:
    """A background thread that records each process's CPU use and demand per interval."""

    def __init__(self, pids: list[int], interval_s: float = SAMPLE_INTERVAL_S) -> None:
        self._pids = pids
        self._processes = [psutil.Process(pid) for pid in pids]
        self._interval_s = interval_s
        self.samples: list[list[float]] = [[] for _ in pids]
        self.demand_samples: list[list[float]] = [[] for _ in pids]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="load-cpu-sampler", daemon=True)

    def start(self) -> None:
        for process in self._processes:
            process.cpu_percent(None)  # the first call only sets the baseline
        self._thread.start()

    def stop(self) -> list[list[float]]:
        self._stop.set()
        self._thread.join()
        return self.samples

    def _loop(self) -> None:
        last_wall = time.monotonic_ns()
        last_scheduled = [_scheduled_ns(pid) for pid in self._pids]
        while not self._stop.wait(self._interval_s):
            wall = time.monotonic_ns()
            for index, process in enumerate(self._processes):
                try:
                    used = process.cpu_percent(None)
                except psutil.Error:
                    continue  # the worker has finished
                self.samples[index].append(used)
                scheduled = _scheduled_ns(self._pids[index])
                previous = last_scheduled[index]
                if scheduled is not None and previous is not None and wall > last_wall:
                    demand = 100.0 * (scheduled - previous) / (wall - last_wall)
                    self.demand_samples[index].append(max(used, demand))
                else:
                    self.demand_samples[index].append(used)
                last_scheduled[index] = scheduled
            last_wall = wall
