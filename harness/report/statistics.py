"""The one-sided Mann-Whitney U test (rank-sum), exact for small samples, used by `gwh compare`.

Why this test: benchmark samples are not normally distributed (long tails, outliers from a
shared runner), and the test only assumes that repeated runs are independent draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

# Exact null distribution up to this many samples in total; normal approximation above it.
EXACT_LIMIT = 40


@dataclass(frozen=True)
class UTestResult:
    """U statistic of the first sample and the one-sided p-value that it tends to be greater."""

    u: float
    p_value: float
    method: str  # "exact" or "normal"


def _midranks(values: Sequence[float]) -> list[float]:
    """Ranks 1..n of `values`, ties sharing the mean of their ranks."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2.0 + 1.0
        start = end + 1
    return ranks


@cache
def _u_counts(m: int, n: int) -> tuple[int, ...]:
    """How many of the C(m+n, m) orderings give U = 0, 1, ..., m*n (no ties)."""
    if m == 0 or n == 0:
        return (1,)
    # The largest value is either one of the first sample's (adds n to U) or the second's.
    with_first = _u_counts(m - 1, n)
    with_second = _u_counts(m, n - 1)
    counts = [0] * (m * n + 1)
    for u, c in enumerate(with_first):
        counts[u + n] += c
    for u, c in enumerate(with_second):
        counts[u] += c
    return tuple(counts)


def mann_whitney_greater(first: Sequence[float], second: Sequence[float]) -> UTestResult:
    """Test H1 "values of `first` tend to be greater than those of `second`" against H0 "same
    distribution"; exact p-value without ties and up to EXACT_LIMIT samples, else the normal
    approximation with tie and continuity correction."""
    m, n = len(first), len(second)
    if m == 0 or n == 0:
        raise ValueError("the Mann-Whitney U test needs at least one sample on each side")
    combined = [*first, *second]
    ranks = _midranks(combined)
    u = sum(ranks[:m]) - m * (m + 1) / 2.0
    has_ties = len(set(combined)) < len(combined)
    if not has_ties and m + n <= EXACT_LIMIT:
        counts = _u_counts(m, n)
        at_least = sum(counts[math.ceil(u - 1e-9) :])
        return UTestResult(u, at_least / math.comb(m + n, m), "exact")
    total = m + n
    tie_term = 0.0
    for value in set(combined):
        t = combined.count(value)
        tie_term += t**3 - t
    variance = m * n / 12.0 * ((total + 1) - tie_term / (total * (total - 1)))
    if variance <= 0:
        return UTestResult(u, 1.0, "normal")  # every value equal: no evidence either way
    z = (u - m * n / 2.0 - 0.5) / math.sqrt(variance)
    return UTestResult(u, 0.5 * math.erfc(z / math.sqrt(2.0)), "normal")
