"""Regression: a test session stops the shared cluster only if its own fixture started it."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

import tests.conftest as session_hooks
from harness.cluster.local import controlplane


def _finish(monkeypatch: pytest.MonkeyPatch, token: str) -> list[str]:
    stopped: list[str] = []
    monkeypatch.setattr(controlplane, "down", lambda name, **_kw: stopped.append(name))
    monkeypatch.setenv(session_hooks.SESSION_ENV, token)
    monkeypatch.delenv("GWH_KEEP_TEST_CLUSTER", raising=False)
    session = types.SimpleNamespace(config=types.SimpleNamespace())
    session_hooks.pytest_sessionfinish(session, 0)  # type: ignore[arg-type]
    return stopped


def test_marker_of_another_session_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GWH_STATE_HOME", str(tmp_path))
    session_hooks.started_marker().parent.mkdir(parents=True)
    session_hooks.started_marker().write_text("someone-else")
    assert _finish(monkeypatch, "mine") == []
    assert session_hooks.started_marker().exists()


def test_own_marker_stops_the_cluster_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GWH_STATE_HOME", str(tmp_path))
    session_hooks.started_marker().parent.mkdir(parents=True)
    session_hooks.started_marker().write_text("mine")
    assert _finish(monkeypatch, "mine") == [session_hooks.CLUSTER_NAME]
    assert not session_hooks.started_marker().exists()
