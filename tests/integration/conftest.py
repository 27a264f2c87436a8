"""One real local cluster per test session, shared by every integration test (and xdist worker)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.cluster.local import controlplane
from harness.cluster.local.controlplane import UpOptions
from harness.cluster.local.state import ClusterState, state_root
from harness.cluster.provider import Cluster
from tests.conftest import CLUSTER_NAME, SESSION_ENV, started_marker


@dataclass
class LocalClusterHandle:
    """The session's cluster: its recorded state, kubeconfig and a provider-neutral view."""

    name: str
    state: ClusterState
    cluster: Cluster

    @property
    def kubeconfig(self) -> Path:
        return self.state.kubeconfig

    def api_client(self) -> Any:
        return self.cluster.api_client()


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[LocalClusterHandle]:
    """Start the test cluster unless it runs already; stop it at the end only if we started it."""
    from harness.cluster.local import LocalProvider

    state_root().mkdir(parents=True, exist_ok=True)
    lock_path = state_root() / f".{CLUSTER_NAME}.pytest.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        running = ClusterState.exists(CLUSTER_NAME) and controlplane.is_up(
            ClusterState.load(CLUSTER_NAME)
        )
        if not running:
            controlplane.up(
                CLUSTER_NAME, UpOptions(gateway_api_channel="experimental"), progress=print
            )
            started_marker().write_text(os.environ.get(SESSION_ENV, ""))
        fcntl.flock(lock, fcntl.LOCK_UN)
    provider = LocalProvider(CLUSTER_NAME)
    yield LocalClusterHandle(CLUSTER_NAME, provider.state(), provider.cluster())
