"""Load-balancer address assignment and Service frontends built from EndpointSlices."""

from __future__ import annotations

from typing import Any

from harness.cluster.local.nodeagent.services import (
    assign_lb_addresses,
    ready_backends,
    service_frontends,
)

POOL = "198.19.16.0/29"


def _svc(
    name: str,
    kind: str = "LoadBalancer",
    created: str = "2026-01-01T00:00:00Z",
    status_ip: str = "",
    wanted: str = "",
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "type": kind,
        "clusterIP": "198.19.0.10",
        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
    }
    if wanted:
        spec["loadBalancerIP"] = wanted
    status = {"loadBalancer": {"ingress": [{"ip": status_ip}]}} if status_ip else {}
    return {
        "metadata": {"name": name, "namespace": "ns", "creationTimestamp": created},
        "spec": spec,
        "status": status,
    }


def _slice(endpoints: list[tuple[str, bool | None]], port_name: str = "http") -> dict[str, Any]:
    return {
        "addressType": "IPv4",
        "ports": [{"name": port_name, "port": 3000, "protocol": "TCP"}],
        "endpoints": [
            {"addresses": [ip], "conditions": {} if ready is None else {"ready": ready}}
            for ip, ready in endpoints
        ],
    }


def test_lowest_free_addresses_and_only_for_load_balancers() -> None:
    result = assign_lb_addresses(
        [_svc("a", created="1"), _svc("b", created="2"), _svc("c", kind="ClusterIP")], POOL
    )
    assert result == {"ns/a": "198.19.16.1", "ns/b": "198.19.16.2"}


def test_existing_status_is_kept_and_the_oldest_wins_a_clash() -> None:
    services = [
        _svc("new", created="2", status_ip="198.19.16.3"),
        _svc("old", created="1", status_ip="198.19.16.3"),
        _svc("keeps", created="3", status_ip="198.19.16.5"),
    ]
    result = assign_lb_addresses(services, POOL)
    assert result["ns/old"] == "198.19.16.3"
    assert result["ns/keeps"] == "198.19.16.5"
    assert result["ns/new"] == "198.19.16.1"


def test_requested_address_is_honoured_when_free_and_in_the_pool() -> None:
    result = assign_lb_addresses(
        [_svc("a", wanted="198.19.16.4"), _svc("b", created="2", wanted="10.0.0.1")], POOL
    )
    assert result == {"ns/a": "198.19.16.4", "ns/b": "198.19.16.1"}


def test_changed_request_moves_the_service_to_the_new_free_address() -> None:
    # It got a fallback for an address outside the pool; now it asks for one it can have.
    moved = _svc("a", status_ip="198.19.16.1", wanted="198.19.16.6")
    assert assign_lb_addresses([moved], POOL) == {"ns/a": "198.19.16.6"}


def test_unobtainable_request_keeps_the_current_address() -> None:
    outside = _svc("a", status_ip="198.19.16.3", wanted="10.0.0.1")
    assert assign_lb_addresses([outside], POOL) == {"ns/a": "198.19.16.3"}


def test_request_for_an_address_held_by_an_older_service_is_not_granted() -> None:
    holder = _svc("old", created="1", status_ip="198.19.16.2")
    asker = _svc("new", created="2", wanted="198.19.16.2")
    result = assign_lb_addresses([asker, holder], POOL)
    assert result == {"ns/old": "198.19.16.2", "ns/new": "198.19.16.1"}


def test_exhausted_pool_leaves_the_rest_without_address() -> None:
    services = [_svc(str(i), created=f"{i:02d}") for i in range(8)]  # /29 has 6 hosts
    assert len(assign_lb_addresses(services, POOL)) == 6


def test_ready_backends_skip_not_ready_and_treat_unknown_as_ready() -> None:
    slices = [_slice([("198.18.0.2", True), ("198.18.0.3", False), ("198.18.0.4", None)])]
    assert ready_backends(slices, "http", "TCP") == (("198.18.0.2", 3000), ("198.18.0.4", 3000))
    assert ready_backends(slices, "other", "TCP") == ()
    assert ready_backends(slices, "http", "UDP") == ()


def test_frontends_cover_cluster_ip_and_lb_address() -> None:
    slices = {"ns/a": [_slice([("198.18.0.2", True)])]}
    frontends = service_frontends([_svc("a")], slices, {"ns/a": "198.19.16.1"})
    assert {(f.ip, f.port, f.protocol) for f in frontends} == {
        ("198.19.0.10", 80, "tcp"),
        ("198.19.16.1", 80, "tcp"),
    }
    assert all(f.backends == (("198.18.0.2", 3000),) for f in frontends)
