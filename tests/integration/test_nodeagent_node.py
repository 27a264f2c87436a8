"""The agent's Node: Ready, no taints, InternalIP = bridge address, kubelet port, fresh Lease."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from kubernetes import client
from kubernetes.utils import parse_quantity

from tests.integration.nodeagent_helpers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.netns]


def test_node_is_ready_untainted_and_addressed(local_cluster: Any) -> None:
    state = local_cluster.state
    core = client.CoreV1Api(local_cluster.api_client())

    def untainted_ready() -> Any:
        node = core.read_node(state.node_name)
        ready = any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)
        return ready and not node.spec.taints and node

    # The node-lifecycle controller lifts the not-ready taint admission put on the new Node.
    node = wait_for("a Ready Node without taints", untainted_ready, timeout=60)
    addresses = {a.type: a.address for a in node.status.addresses}
    assert addresses["InternalIP"] == state.network.gateway_ip
    assert node.status.daemon_endpoints.kubelet_endpoint.port == state.ports.kubelet
    assert parse_quantity(node.status.allocatable["pods"]) >= 100


def test_lease_is_renewed(local_cluster: Any) -> None:
    state = local_cluster.state
    leases = client.CoordinationV1Api(local_cluster.api_client())
    lease = leases.read_namespaced_lease(state.node_name, "kube-node-lease")
    assert lease.spec.holder_identity == state.node_name
    first = lease.spec.renew_time
    age = dt.datetime.now(dt.UTC) - first
    assert age < dt.timedelta(seconds=lease.spec.lease_duration_seconds)
    wait_for(
        "the Lease to be renewed",
        lambda: (
            leases.read_namespaced_lease(state.node_name, "kube-node-lease").spec.renew_time > first
        ),
        timeout=30,
        interval=1,
    )
