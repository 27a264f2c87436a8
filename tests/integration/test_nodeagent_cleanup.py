"""After `down` (even when the node agent crashed) nothing of the cluster's network remains."""

from __future__ import annotations

import os
import signal
import uuid

import psutil
import pytest
from kubernetes import client, config

from harness.cluster.local import controlplane, network
from harness.cluster.local.controlplane import UpOptions
from harness.cluster.local.state import ClusterState, netns_prefix
from tests.integration.nodeagent_helpers import (
    create_namespace,
    echo_deployment,
    ready_pods,
    service,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.netns, pytest.mark.slow]


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _leftovers(state: ClusterState, pids: list[int]) -> list[str]:
    found = [f"netns {n}" for n in network.list_cluster_netns(state)]
    found += [f"link {v}" for v in network.list_cluster_veths(state)]
    if network.link_exists(state.network.bridge):
        found.append(f"bridge {state.network.bridge}")
    if network.nat_table_exists(state):
        found.append(f"nft table {network.nft_table_name(state.name)}")
    found += [f"process {pid}" for pid in pids if _alive(pid)]
    return found


@pytest.mark.parametrize("agent_crashed", [False, True], ids=["graceful", "agent-crashed"])
def test_down_removes_every_netns_link_rule_and_process(agent_crashed: bool) -> None:
    name = f"na-{uuid.uuid4().hex[:6]}"
    state = controlplane.up(name, UpOptions(), progress=lambda _m: None)
    try:
        api = config.new_client_from_config(config_file=str(state.kubeconfig))
        apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
        create_namespace(core, "work")
        apps.create_namespaced_deployment("work", echo_deployment("echo", "work", 2))
        core.create_namespaced_service("work", service("echo", "work", lb=True))
        wait_for(
            "2 Ready pods",
            lambda: len(ready_pods(core, "work", "app=echo")) == 2,
            timeout=90,
        )
        netns = network.list_cluster_netns(state)
        assert len(netns) == 2 and all(n.startswith(netns_prefix(name)) for n in netns)
        pids = [pid for n in netns for pid in network.netns_pids(n)]
        assert pids and network.nat_table_exists(state)
        if agent_crashed:
            agent_pid = ClusterState.load(name).pids["node-agent"]
            os.kill(agent_pid, signal.SIGKILL)
            wait_for("the agent to die", lambda: not _alive(agent_pid), 10)
            assert _leftovers(state, pids), "a crashed agent leaves its network behind"
    finally:
        controlplane.down(name, progress=lambda _m: None)
    assert _leftovers(state, pids) == []
    network.cleanup(state)  # idempotent: a second run finds nothing and does not fail
    assert _leftovers(state, pids) == []
