"""Provider selection, the kind commands and configs, CRD sources and version checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import harness.cluster
from harness.cluster import ClusterError, crds, kind
from harness.cluster.local import build


def test_unknown_provider_names_the_choices() -> None:
    with pytest.raises(ClusterError) as e:
        harness.cluster.provider_for("minikube")
    assert "minikube" in str(e.value)
    assert "local, kind, existing" in str(e.value)


def test_kind_config_binds_loopback_and_has_one_node() -> None:
    cfg = kind.kind_config(api_server_port=7443)
    assert cfg["networking"] == {"apiServerAddress": "127.0.0.1", "apiServerPort": 7443}
    assert cfg["nodes"] == [{"role": "control-plane"}]
    assert "apiServerPort" not in kind.kind_config()["networking"]


def test_kind_commands_name_the_cluster_and_kubeconfig() -> None:
    cmd = kind.create_command("ci", Path("/s/cfg.yaml"), Path("/s/kc"), "kindest/node:v1.35.0")
    assert cmd[:3] == ["kind", "create", "cluster"]
    assert cmd[cmd.index("--name") + 1] == "gwh-ci"
    assert cmd[cmd.index("--config") + 1] == "/s/cfg.yaml"
    assert cmd[cmd.index("--kubeconfig") + 1] == "/s/kc"
    assert cmd[cmd.index("--image") + 1] == "kindest/node:v1.35.0"
    assert kind.delete_command("ci", Path("/s/kc"))[:5] == [
        "kind",
        "delete",
        "cluster",
        "--name",
        "gwh-ci",
    ]
    assert kind.load_image_command("ci", "img:1") == [
        "kind",
        "load",
        "docker-image",
        "img:1",
        "--name",
        "gwh-ci",
    ]


def test_kind_without_tools_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ClusterError) as e:
        kind.check_tools()
    assert "kind and docker" in str(e.value)
    assert "install Docker" in str(e.value)


def test_existing_provider_rejects_missing_kubeconfig(tmp_path: Path) -> None:
    provider = harness.cluster.provider_for("existing", kubeconfig=str(tmp_path / "none"))
    with pytest.raises(ClusterError, match="does not exist"):
        provider.cluster()


def test_existing_provider_rejects_unknown_context(tmp_path: Path) -> None:
    kc = tmp_path / "kc"
    kc.write_text(yaml.safe_dump({"contexts": [{"name": "a"}], "clusters": [], "users": []}))
    provider = harness.cluster.provider_for("existing", kubeconfig=str(kc), context="b")
    with pytest.raises(ClusterError, match="choose one of: a"):
        provider.cluster()


def test_crd_channel_must_be_known() -> None:
    with pytest.raises(ClusterError, match="standard or experimental"):
        crds.check_channel("beta")


def test_crd_file_that_is_not_yaml_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "crds.yaml"
    bad.write_text("kind: [unclosed")
    with pytest.raises(ClusterError) as e:
        crds.load_crd_documents("v1.6.3", "standard", str(bad))
    assert str(bad) in str(e.value)


def test_crd_file_without_crds_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "cm.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    with pytest.raises(ClusterError, match="no CustomResourceDefinition"):
        crds.load_crd_documents("v1.6.3", "standard", str(f))


def test_missing_crd_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="does not exist"):
        crds.load_crd_documents("v1.6.3", "standard", str(tmp_path / "nope.yaml"))


@pytest.mark.parametrize("version", ["1.37.2", "v2.0.0", "latest", "v1.37"])
def test_malformed_kubernetes_version_is_refused(version: str) -> None:
    with pytest.raises(ClusterError, match=r"v1\.MINOR\.PATCH"):
        build.etcd_version_for(version)


def test_etcd_release_follows_the_kubernetes_minor() -> None:
    assert build.etcd_version_for("v1.37.2").startswith("v3.7.")
    assert build.etcd_version_for("v1.34.4").startswith("v3.6.")


def test_assets_folder_missing_binaries_is_named(tmp_path: Path) -> None:
    (tmp_path / "etcd").write_text("")
    with pytest.raises(ClusterError) as e:
        build.find_assets(tmp_path)
    assert "kube-apiserver" in str(e.value)
    assert str(tmp_path) in str(e.value)


def test_no_go_and_no_cache_says_install_go_or_assets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("GWH_CACHE_HOME", str(tmp_path))
    with pytest.raises(ClusterError) as e:
        build.build("v1.36.3", progress=lambda _m: None)
    assert "Go is not installed" in str(e.value)
    assert "--assets" in str(e.value)
    assert not any(tmp_path.iterdir())


def test_local_cluster_refuses_traffic_outside_its_ranges() -> None:
    from harness.cluster.provider import Cluster

    cluster = Cluster(
        name="x",
        provider="local",
        kubeconfig=Path("/nonexistent"),
        allowed_ranges=("198.18.0.0/16", "198.19.16.0/20"),
        bridge="gwhdeadbeef",
    )
    for address in ("10.0.0.1", "8.8.8.8", "127.0.0.1", "198.20.0.1"):
        with pytest.raises(ClusterError, match="outside the local cluster's ranges"):
            cluster.check_gateway_address(address)


def test_local_cluster_refuses_an_address_not_routed_through_its_bridge() -> None:
    from harness.cluster.provider import Cluster

    # In range, but no bridge of that name exists: the route check must refuse it.
    cluster = Cluster(
        name="x",
        provider="local",
        kubeconfig=Path("/nonexistent"),
        allowed_ranges=("198.18.0.0/15",),
        bridge="gwhnotabridge",
    )
    with pytest.raises(ClusterError, match="does not go through the cluster bridge"):
        cluster.check_gateway_address("198.19.250.250")
