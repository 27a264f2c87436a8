"""Eventually consistent assertions: N matches in a row within a bound (AwaitConvergence)."""

from __future__ import annotations

import time
from collections.abc import Callable

from harness.conformance.timeouts import TimeoutConfig


class NotConsistent(AssertionError):
    """The expectation did not hold N times in a row within MaxTimeToConsistency."""


def await_convergence(
    attempt: Callable[[], str | None],
    timeouts: TimeoutConfig,
    *,
    what: str = "the expectation",
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Call ``attempt`` until it returns None RequiredConsecutiveSuccesses times in a row.

    A success is followed at once by the next attempt; a miss resets the count
    and waits DefaultPollInterval. Returns the number of attempts made; raises
    NotConsistent with the last miss after MaxTimeToConsistency.
    """
    required = timeouts.RequiredConsecutiveSuccesses
    deadline = time.monotonic() + timeouts.MaxTimeToConsistency
    attempts = successes = 0
    last_miss = "no attempt finished"
    while True:
        if time.monotonic() >= deadline:
            raise NotConsistent(
                f"{what} did not hold {required} times in a row within "
                f"{timeouts.MaxTimeToConsistency:g}s ({attempts} attempts, "
                f"{successes}/{required} consecutive successes at the end).\n"
                f"  last miss: {last_miss}"
            )
        attempts += 1
        miss = attempt()
        if miss is None:
            successes += 1
            if successes >= required:
                return attempts
            continue
        successes = 0
        last_miss = miss
        sleep(timeouts.DefaultPollInterval)
