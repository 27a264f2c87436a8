"""Pod IP allocation: inside the range, never the gateway, no immediate reuse, exhaustion."""

from __future__ import annotations

import ipaddress

import pytest

from harness.cluster.local.nodeagent.ipam import PodIPAllocator, PodRangeExhausted


def test_addresses_are_distinct_inside_the_range_and_skip_the_gateway() -> None:
    ipam = PodIPAllocator("198.18.0.0/24", "198.18.0.1")
    ips = [ipam.allocate(f"pod-{i}") for i in range(50)]
    assert len(set(ips)) == 50
    network = ipaddress.ip_network("198.18.0.0/24")
    for ip in ips:
        address = ipaddress.ip_address(ip)
        assert address in network
        assert address not in (network.network_address, network.broadcast_address)
        assert ip != "198.18.0.1"


def test_the_same_owner_keeps_its_address() -> None:
    ipam = PodIPAllocator("198.18.0.0/24", "198.18.0.1")
    assert ipam.allocate("a") == ipam.allocate("a")


def test_a_released_address_is_not_handed_out_again_at_once() -> None:
    ipam = PodIPAllocator("198.18.0.0/24", "198.18.0.1")
    first = ipam.allocate("a")
    ipam.release("a")
    assert ipam.allocate("b") != first
    assert "a" not in ipam.in_use()


def test_exhaustion_is_a_clear_error_and_release_makes_room() -> None:
    ipam = PodIPAllocator("198.18.0.0/29", "198.18.0.1")  # 6 hosts, one is the gateway
    assert ipam.capacity == 5
    for i in range(5):
        ipam.allocate(str(i))
    with pytest.raises(PodRangeExhausted, match=r"198\.18\.0\.0/29"):
        ipam.allocate("one-too-many")
    ipam.release("3")
    assert ipam.allocate("again") not in {"198.18.0.1"}
