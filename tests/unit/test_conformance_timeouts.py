"""TimeoutConfig: upstream names and defaults, override parsing."""

from __future__ import annotations

import pytest

from harness.conformance.timeouts import TimeoutConfig, parse_duration


def test_defaults_mirror_upstream() -> None:
    config = TimeoutConfig()
    assert config.MaxTimeToConsistency == 30
    assert config.RequiredConsecutiveSuccesses == 3
    assert config.DefaultPollInterval == pytest.approx(0.1)
    assert config.GWCMustBeAccepted == 180


def test_overrides_syntax() -> None:
    config = TimeoutConfig().with_overrides(
        "MaxTimeToConsistency:60; RequiredConsecutiveSuccesses:5;DefaultPollInterval:250ms"
    )
    assert config.MaxTimeToConsistency == 60
    assert config.RequiredConsecutiveSuccesses == 5
    assert config.DefaultPollInterval == pytest.approx(0.25)
    assert config.RequestTimeout == 10


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("NoSuchTimeout:3", "NoSuchTimeout"),
        ("MaxTimeToConsistency", "MaxTimeToConsistency"),
        ("MaxTimeToConsistency:soon", "soon"),
        ("RequiredConsecutiveSuccesses:0", "at least 1"),
    ],
)
def test_bad_overrides_are_named(text: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        TimeoutConfig().with_overrides(text)


def test_parse_duration_units() -> None:
    assert parse_duration("2m") == 120
    assert parse_duration("1.5") == 1.5
    assert parse_duration("100ms") == pytest.approx(0.1)
