"""Session-wide hooks: these run in the controlling process too (xdist workers do not own it)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from harness.cluster.local.state import state_root

CLUSTER_NAME = os.environ.get("GWH_TEST_CLUSTER", "test")
# Names this pytest session (and its xdist workers, which inherit the environment), so only
# the session whose fixture started the shared cluster stops it.
SESSION_ENV = "GWH_TEST_SESSION"


def started_marker() -> Path:
    return state_root() / f".{CLUSTER_NAME}.started-by-pytest"


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        os.environ[SESSION_ENV] = uuid.uuid4().hex


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In the controlling process: stop the cluster that this session's fixture started."""
    if hasattr(session.config, "workerinput") or os.environ.get("GWH_KEEP_TEST_CLUSTER"):
        return
    marker = started_marker()
    if marker.exists() and marker.read_text() == os.environ.get(SESSION_ENV):
        from harness.cluster.local import controlplane

        controlplane.down(CLUSTER_NAME, progress=print)
        marker.unlink(missing_ok=True)
