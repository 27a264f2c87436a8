"""Address layout, state persistence and certificates of the local cluster (no processes)."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from harness.cluster.kubeconfig import write_admin_kubeconfig
from harness.cluster.local import pki
from harness.cluster.local.state import (
    MAX_SLOTS,
    PROJECT_RANGE,
    ClusterState,
    NetworkLayout,
    Ports,
    bridge_name,
)


def _networks(layout: NetworkLayout) -> list[ipaddress.IPv4Network]:
    return [
        ipaddress.IPv4Network(c) for c in (layout.pod_cidr, layout.service_cidr, layout.lb_pool)
    ]


def test_slot_zero_keeps_documented_defaults() -> None:
    layout = NetworkLayout.for_slot(0, "default")
    assert layout.pod_cidr == "198.18.0.0/16"
    assert layout.gateway_ip == "198.18.0.1"


def test_every_slot_lies_in_project_range_and_no_two_overlap() -> None:
    seen: list[ipaddress.IPv4Network] = []
    for slot in range(MAX_SLOTS):
        for net in _networks(NetworkLayout.for_slot(slot, f"c{slot}")):
            assert net.subnet_of(PROJECT_RANGE)  # type: ignore[arg-type]
            assert not any(net.overlaps(other) for other in seen), (slot, net)
            seen.append(net)


def test_slot_outside_range_is_refused() -> None:
    with pytest.raises(ValueError, match="slot"):
        NetworkLayout.for_slot(MAX_SLOTS, "x")


def test_bridge_name_fits_linux_limit_and_differs_per_cluster() -> None:
    names = {bridge_name(n) for n in ("default", "a", "b", "a-very-long-cluster-name-indeed")}
    assert len(names) == 4
    assert all(len(n) <= 15 for n in names)


def test_state_round_trips_and_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GWH_STATE_HOME", str(tmp_path))
    state = ClusterState(
        name="x",
        kubernetes_version="v1.37.2",
        gateway_api_version="v1.6.3",
        gateway_api_channel="standard",
        assets_dir="/bin",
        slot=2,
        network=NetworkLayout.for_slot(2, "x"),
        ports=Ports(1, 2, 3, 4),
        pids={"etcd": 10},
    )
    state.save()
    loaded = ClusterState.load("x")
    assert loaded == state
    mode = stat.S_IMODE((state.dir / "state.json").stat().st_mode)
    assert mode == 0o600


def test_cluster_pki_chains_to_its_ca_and_files_are_private(tmp_path: Path) -> None:
    pki.generate_cluster_pki(tmp_path, kubelet_ip="198.18.0.1")
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.crt").read_bytes())
    for stem in ("apiserver", "admin", "apiserver-kubelet-client", "kubelet"):
        cert = x509.load_pem_x509_certificate((tmp_path / f"{stem}.crt").read_bytes())
        cert.verify_directly_issued_by(ca)
        assert stat.S_IMODE((tmp_path / f"{stem}.key").stat().st_mode) == 0o600
    admin = x509.load_pem_x509_certificate((tmp_path / "admin.crt").read_bytes())
    orgs = admin.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
    assert [o.value for o in orgs] == ["system:masters"]
    kubelet = x509.load_pem_x509_certificate((tmp_path / "kubelet.crt").read_bytes())
    sans = kubelet.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("198.18.0.1") in sans.get_values_for_type(x509.IPAddress)
    apiserver = x509.load_pem_x509_certificate((tmp_path / "apiserver.crt").read_bytes())
    ips = apiserver.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in ips.get_values_for_type(x509.IPAddress)
    assert isinstance(apiserver.public_key(), ec.EllipticCurvePublicKey)


def test_admin_kubeconfig_embeds_credentials_and_is_private(tmp_path: Path) -> None:
    pki.generate_cluster_pki(tmp_path, kubelet_ip="198.18.0.1")
    path = tmp_path / "kc"
    write_admin_kubeconfig(
        path,
        cluster_name="x",
        server="https://127.0.0.1:6443",
        ca=tmp_path / "ca.crt",
        cert=tmp_path / "admin.crt",
        key=tmp_path / "admin.key",
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = yaml.safe_load(path.read_text())
    assert doc["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    assert doc["users"][0]["user"]["client-key-data"]
    assert doc["current-context"] == "gwh-x"
