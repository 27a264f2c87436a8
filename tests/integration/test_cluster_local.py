"""The local control plane: real etcd, kube-apiserver, controllers and scheduler."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from harness.cluster.local import processes
from harness.cluster.local.state import ClusterState, state_root

from .conftest import LocalClusterHandle

pytestmark = pytest.mark.integration


def gwh(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _get(api: Any, path: str) -> tuple[int, str]:
    resp = api.call_api("GET", api.configuration.host + path)
    resp.read()
    return resp.status, resp.data.decode()


def test_readyz_answers_ok_with_the_admin_kubeconfig(local_cluster: LocalClusterHandle) -> None:
    api = local_cluster.api_client()
    status, body = _get(api, "/readyz")
    assert (status, body) == (200, "ok")


def test_server_version_is_the_one_built(local_cluster: LocalClusterHandle) -> None:
    api = local_cluster.api_client()
    version = client.VersionApi(api).get_code().git_version
    assert version == local_cluster.state.kubernetes_version
    binary = Path(local_cluster.state.assets_dir) / "kube-apiserver"
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout
    assert out.strip() == f"Kubernetes {version}"


def test_gateway_api_crds_are_established(local_cluster: LocalClusterHandle) -> None:
    ext = client.ApiextensionsV1Api(local_cluster.api_client())
    established = {
        crd.metadata.name
        for crd in ext.list_custom_resource_definition().items
        if any(c.type == "Established" and c.status == "True" for c in crd.status.conditions)
    }
    for plural in ("gatewayclasses", "gateways", "httproutes", "grpcroutes", "referencegrants"):
        assert f"{plural}.gateway.networking.k8s.io" in established
    # The session cluster runs the experimental channel, which adds the x-k8s.io kinds.
    assert any(name.endswith(".gateway.networking.x-k8s.io") for name in established)


def test_apiserver_enforces_the_crd_cel_rules(local_cluster: LocalClusterHandle) -> None:
    api = client.CustomObjectsApi(local_cluster.api_client())
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": f"cel-{uuid.uuid4().hex[:6]}", "namespace": "default"},
        "spec": {
            "rules": [
                {
                    "filters": [
                        {
                            "type": "RequestRedirect",
                            "requestRedirect": {"statusCode": 301},
                        },
                        {"type": "URLRewrite", "urlRewrite": {"hostname": "a.example.com"}},
                    ]
                }
            ]
        },
    }
    with pytest.raises(ApiException) as e:
        api.create_namespaced_custom_object(
            "gateway.networking.k8s.io", "v1", "default", "httproutes", route
        )
    assert e.value.status == 422
    assert "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite" in (
        e.value.body
    )


def _wait(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_deployment_makes_pods_and_namespace_deletion_completes(
    local_cluster: LocalClusterHandle,
) -> None:
    api = local_cluster.api_client()
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    ns = f"gwh-deploy-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": ns}})
    apps.create_namespaced_deployment(
        ns,
        {
            "metadata": {"name": "app"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "app"}},
                "template": {
                    "metadata": {"labels": {"app": "app"}},
                    # An image no node can run: the Pods exist but never start.
                    "spec": {"containers": [{"name": "c", "image": "example.invalid/app:1"}]},
                },
            },
        },
    )
    _wait(lambda: apps.list_namespaced_replica_set(ns).items, 30, "a ReplicaSet")
    pods = _wait(
        lambda: (
            [p for p in core.list_namespaced_pod(ns).items]
            if len(core.list_namespaced_pod(ns).items) == 2
            else None
        ),
        30,
        "2 Pods",
    )
    owners = {p.metadata.owner_references[0].kind for p in pods}
    assert owners == {"ReplicaSet"}
    core.delete_namespace(ns)

    def gone() -> bool:
        try:
            core.read_namespace(ns)
        except ApiException as e:
            return e.status == 404
        return False

    _wait(gone, 60, f"namespace {ns} to be deleted")


def test_second_up_with_same_options_reports_running(local_cluster: LocalClusterHandle) -> None:
    result = gwh("cluster", "up", "--name", local_cluster.name, "--channel", "experimental")
    assert result.returncode == 0, result.stderr
    assert "already running" in result.stderr


def test_second_up_with_other_options_is_refused_and_cluster_keeps_running(
    local_cluster: LocalClusterHandle,
) -> None:
    result = gwh("cluster", "up", "--name", local_cluster.name, "--channel", "standard")
    assert result.returncode == 1
    assert "already running with other options" in result.stderr
    assert f"gwh cluster down --name {local_cluster.name}" in result.stderr
    status = gwh("--json", "cluster", "status", "--name", local_cluster.name)
    assert status.returncode == 0
    assert json.loads(status.stdout)["healthy"] is True


def _leftovers(name: str) -> list[int]:
    marker = str(state_root() / name) + "/"
    return [p.pid for p in processes.processes_referencing(marker)]


def test_up_then_down_leaves_no_process_port_or_state() -> None:
    name = f"t-{uuid.uuid4().hex[:6]}"
    up = gwh("cluster", "up", "--name", name, "--no-node-agent")
    assert up.returncode == 0, up.stderr
    state = ClusterState.load(name)
    pids = dict(state.pids)
    assert set(pids) >= {"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"}
    kubeconfig = gwh("cluster", "kubeconfig", "--name", name)
    assert kubeconfig.stdout.strip() == str(state.kubeconfig)
    down = gwh("cluster", "down", "--name", name)
    assert down.returncode == 0, down.stderr
    assert not (state_root() / name).exists()
    assert _leftovers(name) == []
    for pid in pids.values():
        assert not processes.is_running(pid, None)
    for port in (state.ports.apiserver, state.ports.etcd_client, state.ports.etcd_peer):
        assert not processes.port_in_use(port), port


def test_down_cleans_up_after_a_crashed_run() -> None:
    name = f"t-{uuid.uuid4().hex[:6]}"
    assert gwh("cluster", "up", "--name", name, "--no-node-agent").returncode == 0
    state_file = state_root() / name / "state.json"
    state_file.unlink()  # as if `up` died before it recorded anything
    assert _leftovers(name)
    down = gwh("cluster", "down", "--name", name)
    assert down.returncode == 0, down.stderr
    assert _leftovers(name) == []
    assert not (state_root() / name).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "minikube"], "unknown provider 'minikube'"),
        (["--gateway-api-version", "v9.9.9"], "Gateway API version 'v9.9.9' cannot be downloaded"),
        (["--channel", "beta"], "unknown Gateway API channel 'beta'"),
        (["--kubernetes-version", "latest"], "not of the form v1.MINOR.PATCH"),
        (["--provider", "kind"], "--provider kind needs kind"),
    ],
)
def test_bad_input_is_one_clear_message_and_leaves_nothing(args: list[str], message: str) -> None:
    name = f"t-{uuid.uuid4().hex[:6]}"
    result = gwh("cluster", "up", "--name", name, "--no-node-agent", *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (state_root() / name).exists()
    assert _leftovers(name) == []


def test_port_in_use_is_refused_and_leaves_nothing() -> None:
    name = f"t-{uuid.uuid4().hex[:6]}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = gwh(
            "cluster", "up", "--name", name, "--no-node-agent", "--apiserver-port", str(port)
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert not (state_root() / name).exists()


def test_status_and_logs_of_unknown_cluster_are_clear() -> None:
    result = gwh("cluster", "status", "--name", "no-such-cluster")
    assert result.returncode == 1
    assert "no local cluster named 'no-such-cluster'" in result.stderr
    assert "gwh cluster up" in result.stderr


def test_logs_prints_a_component_log(local_cluster: LocalClusterHandle) -> None:
    result = gwh("cluster", "logs", "kube-apiserver", "--name", local_cluster.name, "--tail", "5")
    assert result.returncode == 0
    assert 0 < len(result.stdout.splitlines()) <= 5
    bad = gwh("cluster", "logs", "kubelet", "--name", local_cluster.name)
    assert bad.returncode == 1
    assert "choose one of" in bad.stderr
