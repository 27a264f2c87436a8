"""The deploy manifests match the code: RBAC covers exactly what the controller does."""

from __future__ import annotations

from typing import Any

from reference_impl.controller.constants import CONTROLLER_NAME
from reference_impl.controller.provisioner import PATHS
from reference_impl.controller.runner import RESOURCES
from reference_impl.controller.status_writer import STATUS_KINDS
from reference_impl.deploy import DOCKERFILE, GATEWAY_CLASS_NAME, load_manifests
from reference_impl.images import controller_image, local_images

GROUP_OF_API_VERSION = {"v1": "", "apps/v1": "apps", "discovery.k8s.io/v1": "discovery.k8s.io"}


def _by_kind(kind: str) -> list[dict[str, Any]]:
    return [obj for obj in load_manifests() if obj["kind"] == kind]


def _granted() -> set[tuple[str, str, str]]:
    (role,) = _by_kind("ClusterRole")
    return {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def _needed() -> set[tuple[str, str, str]]:
    needed: set[tuple[str, str, str]] = set()
    for resource in RESOURCES:
        group = GROUP_OF_API_VERSION.get(resource.api_version, resource.api_version.split("/")[0])
        needed |= {(group, resource.plural, "list"), (group, resource.plural, "watch")}
    for kind in STATUS_KINDS.values():
        needed.add(("gateway.networking.k8s.io", f"{kind.plural}/status", "update"))
    for path in PATHS.values():
        group = "" if path.startswith("/api/v1") else path.split("/")[2]
        plural = path.split("/")[-2]
        needed |= {(group, plural, verb) for verb in ("create", "patch", "delete")}
    # crd_support: a metadata-only list to notice changes, then the changed CRDs
    needed |= {("apiextensions.k8s.io", "customresourcedefinitions", v) for v in ("get", "list")}
    return needed


def test_rbac_grants_exactly_what_the_controller_uses() -> None:
    assert _granted() == _needed()


def test_role_is_bound_to_the_controller_service_account() -> None:
    (binding,) = _by_kind("ClusterRoleBinding")
    (account,) = _by_kind("ServiceAccount")
    (deployment,) = _by_kind("Deployment")
    (role,) = _by_kind("ClusterRole")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [
        {
            "kind": "ServiceAccount",
            "name": account["metadata"]["name"],
            "namespace": account["metadata"]["namespace"],
        }
    ]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]


def test_controller_image_and_class_match_the_code() -> None:
    (deployment,) = _by_kind("Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == controller_image()
    assert "--kubeconfig" not in container["args"]  # in-cluster service account
    (gateway_class,) = _by_kind("GatewayClass")
    assert gateway_class["metadata"]["name"] == GATEWAY_CLASS_NAME
    assert gateway_class["spec"]["controllerName"] == CONTROLLER_NAME


def test_dockerfile_builds_both_images_with_their_entry_points() -> None:
    text = DOCKERFILE.read_text()
    assert "AS proxy" in text and "AS controller" in text
    for prefix, argv in local_images().items():
        module = argv[-1]
        assert f'"-m", "{module}"' in text, f"{prefix}: Dockerfile lacks the {module} entrypoint"
