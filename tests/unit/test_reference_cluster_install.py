"""The reference implementation on kind and existing clusters: commands, manifests, pod checks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from harness.cluster import Cluster, ClusterError
from reference_impl.cluster_install import (
    deploy_objects,
    image_commands,
    install_in_cluster,
    pod_problem,
)
from reference_impl.deploy import DOCKERFILE
from reference_impl.images import controller_image, proxy_image


def test_kind_gets_both_images_built_from_the_repository_then_loaded() -> None:
    commands = image_commands("dev")
    builds = [c for c in commands if c[:2] == ["docker", "build"]]
    loads = [c for c in commands if c[:3] == ["kind", "load", "docker-image"]]
    assert [c[c.index("--target") + 1] for c in builds] == ["proxy", "controller"]
    assert [c[c.index("-t") + 1] for c in builds] == [proxy_image(), controller_image()]
    assert all(c[c.index("-f") + 1] == str(DOCKERFILE) for c in builds)
    assert [c[3] for c in loads] == [proxy_image(), controller_image()]
    assert all(c[c.index("--name") + 1] == "gwh-dev" for c in loads)
    assert commands.index(loads[0]) > commands.index(builds[-1])


def test_manifests_name_the_gateway_class_asked_for() -> None:
    objects = deploy_objects("acme")
    (gateway_class,) = [o for o in objects if o["kind"] == "GatewayClass"]
    assert gateway_class["metadata"]["name"] == "acme"
    (deployment,) = [o for o in objects if o["kind"] == "Deployment"]
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == controller_image()
    assert deploy_objects("other")[-1]["metadata"]["name"] != "acme"  # a fresh copy each time


def test_a_pod_that_cannot_pull_its_image_is_named() -> None:
    waiting = {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}
    pods = [
        {"metadata": {"name": "ok"}, "status": {"containerStatuses": [{"state": {"running": {}}}]}},
        {
            "metadata": {"name": "stuck"},
            "status": {"containerStatuses": [{"state": {"waiting": waiting}}]},
        },
    ]
    assert pod_problem(pods) == "pod stuck: ImagePullBackOff Back-off pulling image"
    creating = {"reason": "ContainerCreating"}
    assert (
        pod_problem([{"status": {"containerStatuses": [{"state": {"waiting": creating}}]}}]) is None
    )


def test_kind_install_without_docker_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # neither kind nor docker
    cluster = Cluster(name="dev", provider="kind", kubeconfig=tmp_path / "kubeconfig")
    ran: list[Sequence[str]] = []
    with pytest.raises(ClusterError, match="needs kind and docker"):
        install_in_cluster(cluster, "gateway-harness", lambda m: None, run=ran.append)
    assert ran == []
