"""The deploy manifests against the real API server: dry-run, and the RBAC is sufficient."""

from __future__ import annotations

import contextlib
import copy
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from kubernetes import client

from reference_impl.cluster_install import APPLY_PATHS, apply_object, deploy_objects
from reference_impl.controller.kube_rest import KubeApiError, KubeRest
from reference_impl.deploy import load_manifests

pytestmark = [pytest.mark.integration]

GROUP, VERSION = "gateway.networking.k8s.io", "v1"
T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last seen: {last!r}")


def relocated(objects: list[dict[str, Any]], namespace: str, suffix: str) -> list[dict[str, Any]]:
    """The manifests moved into a scratch namespace, cluster-scoped names made unique."""
    result = []
    for original in objects:
        obj = copy.deepcopy(original)
        meta = obj["metadata"]
        if obj["kind"] == "Namespace":
            meta["name"] = namespace
        elif "namespace" in meta:
            meta["namespace"] = namespace
        else:
            meta["name"] = f"{meta['name']}-{suffix}"
        if obj["kind"] == "ClusterRoleBinding":
            obj["roleRef"]["name"] = f"{obj['roleRef']['name']}-{suffix}"
            for subject in obj["subjects"]:
                subject["namespace"] = namespace
        result.append(obj)
    return result


def apply(rest: KubeRest, obj: dict[str, Any], dry_run: bool) -> dict[str, Any]:
    return apply_object(rest, obj, dry_run=dry_run)


@pytest.fixture
def scratch(local_cluster: Any) -> Iterator[tuple[KubeRest, str, str]]:
    rest = KubeRest.from_kubeconfig(str(local_cluster.kubeconfig))
    suffix = uuid.uuid4().hex[:8]
    namespace = f"refdeploy-{suffix}"
    rest.request("POST", "/api/v1/namespaces", body={"metadata": {"name": namespace}})
    yield rest, namespace, suffix
    rest.request("DELETE", f"/api/v1/namespaces/{namespace}")
    for kind in ("ClusterRole", "ClusterRoleBinding"):
        path = APPLY_PATHS[kind].format(name=f"gateway-harness-reference-controller-{suffix}")
        with contextlib.suppress(KubeApiError):  # created only by the RBAC test
            rest.request("DELETE", path)


def test_manifests_pass_server_side_dry_run(scratch: tuple[KubeRest, str, str]) -> None:
    rest, namespace, suffix = scratch
    kinds = []
    for obj in relocated(deploy_objects(f"gwh-dryrun-{suffix}"), namespace, suffix):
        answer = apply(rest, obj, dry_run=True)
        assert answer["kind"] == obj["kind"]
        kinds.append(obj["kind"])
    assert set(kinds) == set(APPLY_PATHS)
    path = APPLY_PATHS["ClusterRole"].format(name=f"gateway-harness-reference-controller-{suffix}")
    with pytest.raises(KubeApiError, match="404"):
        rest.request("GET", path)  # a dry run leaves nothing behind


def test_controller_does_its_job_with_only_its_rbac(
    scratch: tuple[KubeRest, str, str], local_cluster: Any, tmp_path: Path
) -> None:
    rest, namespace, suffix = scratch
    for obj in relocated(load_manifests(), namespace, suffix):
        if obj["kind"] in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding"):
            apply(rest, obj, dry_run=False)
    token = rest.request(
        "POST",
        f"/api/v1/namespaces/{namespace}/serviceaccounts/reference-controller/token",
        body={"spec": {"expirationSeconds": 3600}},
    )["status"]["token"]
    kubeconfig = yaml.safe_load(Path(local_cluster.kubeconfig).read_text())
    kubeconfig["users"] = [{"name": "controller", "user": {"token": token}}]
    for context in kubeconfig["contexts"]:
        context["context"]["user"] = "controller"
    path = tmp_path / "controller.kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig))
    path.chmod(0o600)

    controller_name = f"gateway-harness.dev/reference-controller-rbac-{suffix}"
    class_name = f"reference-rbac-{suffix}"
    custom: Any = client.CustomObjectsApi(local_cluster.api_client())
    apps: Any = client.AppsV1Api(local_cluster.api_client())
    custom.create_cluster_custom_object(
        GROUP,
        VERSION,
        "gatewayclasses",
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "GatewayClass",
            "metadata": {"name": class_name},
            "spec": {"controllerName": controller_name},
        },
    )
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "reference_impl.controller", "--kubeconfig", str(path)),
            *("--controller-name", controller_name, "--gateway-class-name", class_name),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        gateway = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": namespace},
            "spec": {
                "gatewayClassName": class_name,
                "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}],
            },
        }
        custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "gateways", gateway)

        def accepted() -> bool:
            gw = custom.get_namespaced_custom_object(GROUP, VERSION, namespace, "gateways", "gw")
            conditions = (gw.get("status") or {}).get("conditions") or []
            return any(c["type"] == "Accepted" and c["status"] == "True" for c in conditions)

        wait_for("Gateway Accepted (status update allowed)", accepted)
        selector = "gateway.networking.k8s.io/gateway-name=gw"
        wait_for(
            "proxy Deployment (create allowed)",
            lambda: apps.list_namespaced_deployment(namespace, label_selector=selector).items,
        )
        custom.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            namespace,
            "gateways",
            "gw",
            {"spec": {"listeners": [{"name": "udp", "port": 53, "protocol": "UDP"}]}},
        )
        wait_for(
            "proxy Deployment removed once the Gateway is not accepted (delete allowed)",
            lambda: not apps.list_namespaced_deployment(namespace, label_selector=selector).items,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
        custom.delete_cluster_custom_object(GROUP, VERSION, "gatewayclasses", class_name)
    assert "Forbidden" not in output and "403" not in output, output
    assert process.returncode == 0, output
