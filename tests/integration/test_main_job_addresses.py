"""`gwh run` and `gwh conformance` hand GatewayStaticAddresses the same addresses.

Regression: `gwh run` passed none, so on the local cluster its GATEWAY-HTTP run failed
GatewayStaticAddresses against the reference implementation, which `gwh conformance` passed.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest

import harness.main_job as main_job
from harness.cluster.local.state import ClusterState
from harness.main_job import MainJobOptions, run_main_job

pytestmark = [pytest.mark.integration]


class _Stop(Exception):
    """Ends the main job once it has built its conformance command."""


def _values(options: list[str], flag: str) -> list[str]:
    return [options[i + 1] for i, option in enumerate(options) if option == flag]


def test_the_main_job_gives_conformance_the_local_static_addresses(
    local_cluster: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[list[str]] = []

    def conformance_started(*args: Any, options: list[str], **kwargs: Any) -> int:
        seen.append(options)
        raise _Stop

    monkeypatch.setattr(main_job, "run_conformance", conformance_started)
    job = MainJobOptions(name=local_cluster.name, gateway_class="not-installed-here", bench=False)
    with pytest.raises(_Stop):
        run_main_job(job, tmp_path, lambda message: None)
    (options,) = seen
    pool = ipaddress.ip_network(ClusterState.load(local_cluster.name).network.lb_pool)
    (usable,) = _values(options, "--usable-address")
    (unusable,) = _values(options, "--unusable-address")
    assert ipaddress.ip_address(usable) in pool
    assert ipaddress.ip_address(unusable) not in pool
