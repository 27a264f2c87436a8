"""Number and text formatting shared by the Markdown, HTML and compare outputs."""

from __future__ import annotations

from collections.abc import Sequence

from harness.results.model import ConformanceSection, CoreLevel, ExtendedLevel, Metric

MESSAGE_LIMIT = 400
OUTCOME_ORDER = {"failed": 0, "flaky": 1, "passed": 2, "skipped": 3, "unsupported": 4}


def number(value: float) -> str:
    """A readable number: thousands separators for large ones, 3 significant digits otherwise."""
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.1f}"
    if value == int(value):
        return str(int(value))
    return f"{value:.3g}"


def percent_change(new: float, old: float) -> str:
    if old == 0:
        return "n/a" if new == 0 else "new"
    return f"{(new - old) / abs(old) * 100:+.1f}%"


def sample_spread(metric: Metric) -> str:
    if not metric.samples:
        return "-"
    return (
        f"n={len(metric.samples)}, {number(min(metric.samples))} to {number(max(metric.samples))}"
    )


def duration(seconds: float) -> str:
    if seconds >= 60:
        return f"{int(seconds // 60)}m{seconds % 60:04.1f}s"
    return f"{seconds:.2f}s"


def level(status: CoreLevel | ExtendedLevel) -> str:
    if status.result == "none":
        return "not run"
    counts = f"{status.passed} passed, {status.failed} failed, {status.skipped} skipped"
    return f"{status.result} ({counts})"


def short_message(message: str, limit: int = MESSAGE_LIMIT) -> str:
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ordered_tests(section: ConformanceSection) -> list[tuple[str, str, float, str]]:
    """(name, outcome, duration, message) with failures first, then by name."""
    tests = sorted(section.tests, key=lambda t: (OUTCOME_ORDER.get(t.outcome, 9), t.short_name))
    return [(t.short_name, t.outcome, t.duration_s, t.message) for t in tests]


def features(section: ConformanceSection) -> tuple[list[str], list[str]]:
    """Supported and unsupported features over all profiles."""
    supported: set[str] = set()
    unsupported: set[str] = set()
    for profile in section.profiles:
        supported.update(profile.extended.supported_features)
        unsupported.update(profile.extended.unsupported_features)
    return sorted(supported), sorted(unsupported - supported)


def join_or_dash(items: Sequence[str]) -> str:
    return ", ".join(items) if items else "-"
