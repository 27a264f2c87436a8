"""The usable and unusable addresses `gwh run` and `gwh conformance` pick for
GatewayStaticAddresses."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest

from harness.cluster.local.nodeagent.services import assign_lb_addresses
from harness.cluster.local.state import NetworkLayout
from harness.cluster.local.static_addresses import pick_static_addresses
from harness.cluster.provider import Cluster
from harness.main_job import static_address_options

NETWORK = NetworkLayout("198.18.0.0/16", "198.19.0.0/20", "198.19.16.0/29", "gwhtest")


def _lb(name: str, status_ip: str = "", wanted: str = "") -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "LoadBalancer"}
    if wanted:
        spec["loadBalancerIP"] = wanted
    status = {"loadBalancer": {"ingress": [{"ip": status_ip}]}} if status_ip else {}
    return {"metadata": {"name": name, "namespace": "ns"}, "spec": spec, "status": status}


def test_usable_is_the_highest_unclaimed_pool_address_and_unusable_lies_outside() -> None:
    services = [_lb("a", status_ip="198.19.16.6"), _lb("b", wanted="198.19.16.5")]
    picked = pick_static_addresses(NETWORK, services)
    assert picked.usable == "198.19.16.4"
    assert picked.unusable == "198.19.15.254"
    assert ipaddress.ip_address(picked.unusable) not in ipaddress.ip_network(NETWORK.lb_pool)


def test_node_agent_grants_the_usable_address_and_never_the_unusable_one() -> None:
    picked = pick_static_addresses(NETWORK, [])
    granted = assign_lb_addresses(
        [_lb("usable", wanted=picked.usable), _lb("unusable", wanted=picked.unusable)],
        NETWORK.lb_pool,
    )
    assert granted["ns/usable"] == picked.usable
    assert granted["ns/unusable"] != picked.unusable


def test_a_full_pool_has_no_usable_address() -> None:
    full = [_lb(str(i), status_ip=f"198.19.16.{i}") for i in range(1, 7)]
    with pytest.raises(ValueError, match="no free address"):
        pick_static_addresses(NETWORK, full)


def test_given_addresses_are_passed_on_and_other_providers_get_none_by_default() -> None:
    elsewhere = Cluster(name="x", provider="existing", kubeconfig=Path("/nonexistent"))
    assert static_address_options(elsewhere) == []
    given = static_address_options(elsewhere, ["10.1.2.3"], ["10.9.9.9"])
    assert given == ["--usable-address", "10.1.2.3", "--unusable-address", "10.9.9.9"]
