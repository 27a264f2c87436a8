"""Conformance suites: every test here is a @scenario (the plugin in harness.conformance
provides the options, fixtures and reports; see README.md beside this file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.conformance.scenario import MARKER


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test without @scenario would run but never reach the ConformanceReport.
    here = str(Path(__file__).parent)
    stray = [
        item.nodeid
        for item in items
        if str(item.path).startswith(here) and item.get_closest_marker(MARKER) is None
    ]
    if stray:
        raise pytest.UsageError(
            "conformance tests without @scenario (they would not be reported): "
            + ", ".join(stray)
            + "; decorate them with harness.conformance.scenario.scenario(...)"
        )
