"""The reference implementation on kind and existing clusters: images, then the deploy manifests.

On kind the two images are built from the repository (`reference_impl/deploy/Dockerfile`) and
loaded into the cluster's node; an existing cluster must be able to pull them as they are named
(build them, push them to its registry under the same names). Then the manifests in
`reference_impl/deploy/` are applied server-side, and the controller's Deployment must become
available.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.cluster import Cluster, ClusterError
from harness.cluster.kind import check_tools, load_image_command
from reference_impl.controller.kube_rest import KubeApiError, KubeRest
from reference_impl.deploy import DOCKERFILE, GATEWAY_CLASS_NAME, load_manifests
from reference_impl.images import controller_image, proxy_image

Progress = Callable[[str], None]
Runner = Callable[[Sequence[str]], None]

REPO_ROOT = Path(__file__).resolve().parent.parent
APPLY_PATHS = {
    "Namespace": "/api/v1/namespaces/{name}",
    "ServiceAccount": "/api/v1/namespaces/{namespace}/serviceaccounts/{name}",
    "ClusterRole": "/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}",
    "ClusterRoleBinding": "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{name}",
    "Deployment": "/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
    "GatewayClass": "/apis/gateway.networking.k8s.io/v1/gatewayclasses/{name}",
}
FIELD_MANAGER = "gateway-harness"
_WAITING_PROBLEMS = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CrashLoopBackOff")


def object_path(obj: dict[str, Any]) -> str:
    """The API path of a manifest object."""
    meta = obj["metadata"]
    template = APPLY_PATHS.get(obj["kind"])
    if template is None:
        raise ValueError(f"no API path for kind {obj['kind']!r}")
    return template.format(name=meta["name"], namespace=meta.get("namespace"))


def apply_object(rest: KubeRest, obj: dict[str, Any], dry_run: bool = False) -> dict[str, Any]:
    """Server-side apply of one object (with `dryRun=All`, nothing is stored)."""
    query = {"fieldManager": FIELD_MANAGER, "force": "true"}
    if dry_run:
        query["dryRun"] = "All"
    return rest.request(
        "PATCH",
        object_path(obj),
        query=query,
        body=obj,
        content_type="application/apply-patch+yaml",
    )


def deploy_objects(gateway_class: str) -> list[dict[str, Any]]:
    """The deploy manifests, with the GatewayClass named as asked."""
    objects = load_manifests()
    for obj in objects:
        if obj["kind"] == "GatewayClass":
            obj["metadata"]["name"] = gateway_class
    return objects


def image_commands(cluster_name: str) -> list[list[str]]:
    """docker build of both images, then loading them into the kind cluster."""
    commands: list[list[str]] = []
    for target, image in (("proxy", proxy_image()), ("controller", controller_image())):
        build = ["docker", "build", "-f", str(DOCKERFILE), "--target", target, "-t", image]
        commands.append([*build, str(REPO_ROOT)])
    for image in (proxy_image(), controller_image()):
        commands.append(load_image_command(cluster_name, image))
    return commands


def _run(cmd: Sequence[str]) -> None:
    result = subprocess.run(list(cmd), check=False)
    if result.returncode != 0:
        raise ClusterError(
            f"`{' '.join(cmd)}` failed with exit code {result.returncode}",
            hint="see its output above",
        )


def install_in_cluster(
    cluster: Cluster,
    gateway_class: str,
    say: Progress,
    run: Runner = _run,
    timeout: float = 180.0,
) -> None:
    """Images (kind), manifests, then wait for the controller's Deployment."""
    if cluster.provider == "kind":
        check_tools()
        for cmd in image_commands(cluster.name):
            say(f"  {' '.join(cmd)}")
            run(cmd)
    rest = KubeRest.from_kubeconfig(str(cluster.kubeconfig), cluster.context)
    objects = deploy_objects(gateway_class)
    for obj in objects:
        apply_object(rest, obj)
        say(f"  applied {obj['kind']} {obj['metadata']['name']}")
    deployment = next(obj for obj in objects if obj["kind"] == "Deployment")
    wait_available(rest, deployment, timeout)


def wait_available(rest: KubeRest, deployment: dict[str, Any], timeout: float) -> None:
    """Until the Deployment has an available replica; a pod that cannot start fails at once."""
    meta = deployment["metadata"]
    namespace, name = meta["namespace"], meta["name"]
    labels = deployment["spec"]["selector"]["matchLabels"]
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = rest.request("GET", object_path(deployment))
        if int((current.get("status") or {}).get("availableReplicas") or 0) >= 1:
            return
        pods = rest.request(
            "GET", f"/api/v1/namespaces/{namespace}/pods", query={"labelSelector": selector}
        )
        problem = pod_problem(pods.get("items") or [])
        if problem is not None:
            raise ClusterError(
                f"the reference controller cannot start: {problem}",
                hint=(
                    "the cluster must be able to pull "
                    f"{controller_image()} and {proxy_image()}: build them with "
                    "reference_impl/deploy/Dockerfile and push them to its registry (kind: "
                    "`gwh reference install --provider kind` loads them itself); "
                    f"`kubectl -n {namespace} describe pods -l {selector}` shows more"
                ),
            )
        time.sleep(1.0)
    raise ClusterError(
        f"Deployment {namespace}/{name} had no available replica within {timeout:.0f}s",
        hint=f"`kubectl -n {namespace} describe deployment {name}` shows why",
    )


def pod_problem(pods: list[dict[str, Any]]) -> str | None:
    """A container waiting for a reason that will not pass by itself, named, or None."""
    for pod in pods:
        for status in (pod.get("status") or {}).get("containerStatuses") or ():
            waiting = (status.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in _WAITING_PROBLEMS:
                detail = waiting.get("message") or ""
                name = (pod.get("metadata") or {}).get("name")
                return f"pod {name}: {waiting['reason']} {detail}".strip()
    return None


def uninstall_in_cluster(cluster: Cluster, gateway_class: str, say: Progress) -> bool:
    """Delete what the manifests created (the GatewayClass first); True if anything was there."""
    rest = KubeRest.from_kubeconfig(str(cluster.kubeconfig), cluster.context)
    found = False
    for obj in reversed(deploy_objects(gateway_class)):
        try:
            rest.request("DELETE", object_path(obj))
        except KubeApiError as exc:
            if exc.status == 404:
                continue
            raise
        found = True
        say(f"Deleted {obj['kind']} {obj['metadata']['name']}.")
    return found


__all__ = [
    "APPLY_PATHS",
    "GATEWAY_CLASS_NAME",
    "apply_object",
    "deploy_objects",
    "image_commands",
    "install_in_cluster",
    "pod_problem",
    "uninstall_in_cluster",
]
