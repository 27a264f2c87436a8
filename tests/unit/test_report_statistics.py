"""The one-sided Mann-Whitney U test behind `gwh compare`."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from harness.report import statistics as statistics_module
from harness.report.statistics import mann_whitney_greater


def brute_force_p(first: list[float], second: list[float]) -> float:
    """P(U >= observed) by enumerating every split of the pooled values."""
    pooled = first + second
    m = len(first)

    def u_of(a: list[float], b: list[float]) -> float:
        return sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in a for y in b)

    observed = u_of(first, second)
    splits = list(itertools.combinations(range(len(pooled)), m))
    hits = 0
    for chosen in splits:
        a = [pooled[i] for i in chosen]
        b = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        hits += u_of(a, b) >= observed - 1e-12
    return hits / len(splits)


@pytest.mark.parametrize("seed", range(6))
def test_exact_p_value_matches_enumeration(seed: int) -> None:
    rng = random.Random(seed)
    first = [rng.gauss(0.3, 1) for _ in range(rng.randint(2, 6))]
    second = [rng.gauss(0, 1) for _ in range(rng.randint(2, 6))]
    result = mann_whitney_greater(first, second)
    assert result.method == "exact"
    assert result.p_value == pytest.approx(brute_force_p(first, second))


def test_smallest_p_value_of_three_against_three_is_one_in_twenty() -> None:
    result = mann_whitney_greater([4.0, 5.0, 6.0], [1.0, 2.0, 3.0])
    assert result.u == 9 and result.p_value == pytest.approx(1 / math.comb(6, 3))
    assert mann_whitney_greater([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]).p_value == 1.0


def test_normal_approximation_is_close_to_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    first = [rng.gauss(0.5, 1) for _ in range(18)]
    second = [rng.gauss(0, 1) for _ in range(18)]
    exact = mann_whitney_greater(first, second)
    monkeypatch.setattr(statistics_module, "EXACT_LIMIT", 0)
    approx = mann_whitney_greater(first, second)
    assert exact.method == "exact" and approx.method == "normal"
    assert approx.p_value == pytest.approx(exact.p_value, abs=0.01)


def test_ties_use_midranks_and_the_corrected_normal_approximation() -> None:
    first = [3.0, 4.0, 4.0, 5.0, 6.0, 6.0, 7.0]
    second = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 5.0]
    result = mann_whitney_greater(first, second)
    assert result.method == "normal"
    assert result.u == pytest.approx(39.5)  # pairs won, ties counting one half each
    assert result.p_value == pytest.approx(brute_force_p(first, second), abs=0.02)
    assert mann_whitney_greater([1.0, 1.0, 1.0], [1.0, 1.0]).p_value == 1.0


def test_false_positive_rate_stays_near_alpha() -> None:
    """Same distribution on both sides: p <= 0.05 in about 5% of 400 trials."""
    rng = random.Random(11)
    hits = sum(
        mann_whitney_greater(
            [rng.lognormvariate(0, 0.1) for _ in range(10)],
            [rng.lognormvariate(0, 0.1) for _ in range(10)],
        ).p_value
        <= 0.05
        for _ in range(400)
    )
    assert 5 <= hits <= 35  # binomial(400, 0.05): mean 20, sd 4.4


def test_needs_samples_on_both_sides() -> None:
    with pytest.raises(ValueError, match="at least one sample"):
        mann_whitney_greater([], [1.0])
