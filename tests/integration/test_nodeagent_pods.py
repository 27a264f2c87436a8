"""The node agent runs real Pods: IPs, EndpointSlices, traffic, logs, restarts, deletion."""

from __future__ import annotations

import ipaddress
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from harness.cluster.local import network
from tests.integration.nodeagent_helpers import (
    create_namespace,
    echo_deployment,
    get_json,
    ready_pods,
    service,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.netns]

GRACE = 5


@pytest.fixture
def namespace(local_cluster: Any) -> Iterator[str]:
    core = client.CoreV1Api(local_cluster.api_client())
    name = f"na-{uuid.uuid4().hex[:8]}"
    create_namespace(core, name)
    yield name
    try:
        core.delete_namespace(name)
    except client.ApiException as exc:
        if exc.status != 404:
            raise


@pytest.fixture
def echo_app(local_cluster: Any, namespace: str) -> tuple[str, list[Any]]:
    """A 2-replica echo Deployment with a Service, waited until both Pods are Ready."""
    api = local_cluster.api_client()
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    apps.create_namespaced_deployment(namespace, echo_deployment("echo", namespace, 2, grace=GRACE))
    core.create_namespaced_service(namespace, service("echo", namespace))
    pods = wait_for(
        "2 Ready echo pods",
        lambda: (p := ready_pods(core, namespace, "app=echo")) and len(p) == 2 and p,
        timeout=90,
    )
    return namespace, pods


def test_pods_get_distinct_ips_endpoints_traffic_and_logs(
    local_cluster: Any, echo_app: Any
) -> None:
    namespace, pods = echo_app
    state = local_cluster.state
    core = client.CoreV1Api(local_cluster.api_client())
    discovery = client.DiscoveryV1Api(local_cluster.api_client())
    pod_range = ipaddress.ip_network(state.network.pod_cidr)
    ips = {p.status.pod_ip for p in pods}
    assert len(ips) == 2
    for ip in ips:
        assert ipaddress.ip_address(ip) in pod_range
        assert ip != state.network.gateway_ip
    for pod in pods:
        assert pod.status.host_ip == state.network.gateway_ip
        status = pod.status.container_statuses[0]
        assert status.ready and status.state.running.started_at is not None
        assert status.image_id

    def slice_addresses() -> set[str] | None:
        slices = discovery.list_namespaced_endpoint_slice(
            namespace, label_selector="kubernetes.io/service-name=echo"
        ).items
        found = {a for s in slices for e in s.endpoints or [] for a in e.addresses}
        return found if found == ips else None

    wait_for("an EndpointSlice with both pod IPs", slice_addresses, timeout=30)

    marker = f"/nodeagent-{uuid.uuid4().hex}"
    for pod in pods:
        body = get_json(f"http://{pod.status.pod_ip}:3000{marker}")
        assert body["pod"] == pod.metadata.name
        assert body["namespace"] == namespace
        assert body["path"] == marker
    for pod in pods:
        wait_for(
            f"the echo line in the log of {pod.metadata.name}",
            lambda pod=pod: (
                marker
                in core.read_namespaced_pod_log(pod.metadata.name, namespace, container="echo")
            ),
            timeout=10,
        )


def test_killed_process_is_restarted(local_cluster: Any, echo_app: Any) -> None:
    namespace, pods = echo_app
    core = client.CoreV1Api(local_cluster.api_client())
    pod = pods[0]
    sandbox = network.sandbox_for(local_cluster.state, pod.metadata.uid, pod.status.pod_ip)
    pids = network.netns_pids(sandbox.netns)
    assert pids, "the pod's process runs in its network namespace"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)

    def restarted() -> Any:
        current = core.read_namespaced_pod(pod.metadata.name, namespace)
        status = current.status.container_statuses[0]
        return status.restart_count >= 1 and status.ready and current

    current = wait_for("the killed container to restart and be ready", restarted, timeout=30)
    status = current.status.container_statuses[0]
    assert status.last_state.terminated.exit_code == 128 + signal.SIGKILL
    assert set(network.netns_pids(sandbox.netns)).isdisjoint(pids)
    previous = core.read_namespaced_pod_log(
        pod.metadata.name, namespace, container="echo", previous=True
    )
    assert "listening on port 3000" in previous
    body = get_json(f"http://{pod.status.pod_ip}:3000/after-restart")
    assert body["pod"] == pod.metadata.name


def test_unknown_image_waits_with_clear_message(local_cluster: Any, namespace: str) -> None:
    core = client.CoreV1Api(local_cluster.api_client())
    core.create_namespaced_pod(
        namespace,
        {
            "metadata": {"name": "unknown"},
            "spec": {"containers": [{"name": "web", "image": "docker.io/library/nginx:1.27"}]},
        },
    )

    def waiting() -> Any:
        statuses = core.read_namespaced_pod("unknown", namespace).status.container_statuses
        return statuses and statuses[0].state.waiting

    state = wait_for("a Waiting container status", waiting, timeout=30)
    assert state.reason == "ImageNotRunnableLocally"
    assert "docker.io/library/nginx:1.27" in state.message
    assert "cannot run in the local cluster" in state.message
    assert "registry.k8s.io/gateway-api/conformance/echo-basic" in state.message
    pod = core.read_namespaced_pod("unknown", namespace)
    assert pod.status.phase == "Pending"
    assert not pod.status.pod_ip


def test_namespace_deletion_stops_processes_and_removes_sandboxes(
    local_cluster: Any, echo_app: Any
) -> None:
    namespace, pods = echo_app
    state = local_cluster.state
    core = client.CoreV1Api(local_cluster.api_client())
    sandboxes = [network.sandbox_for(state, p.metadata.uid, p.status.pod_ip) for p in pods]
    pids = [pid for s in sandboxes for pid in network.netns_pids(s.netns)]
    assert len(pids) >= 2
    core.delete_namespace(namespace)

    def gone() -> bool:
        return not any(
            Path("/run/netns", s.netns).exists() or network.link_exists(s.host_veth)
            for s in sandboxes
        ) and not any(Path(f"/proc/{pid}").exists() for pid in pids)

    # The namespace controller deletes the pods a few seconds after the namespace is marked.
    wait_for("the pods' processes, netns and veths to disappear", gone, timeout=GRACE + 5 + 15)

    def namespace_gone() -> bool:
        try:
            core.read_namespace(namespace)
        except client.ApiException as exc:
            return exc.status == 404
        return False

    wait_for("the namespace to finish deleting", namespace_gone, timeout=60, interval=0.5)
