"""Addresses for GatewayStaticAddresses on a local cluster: one the node agent can grant, one
it cannot.

The node agent hands out load-balancer addresses from the lowest free one up and honours a
Service's `spec.loadBalancerIP` only inside its pool. So the highest free pool address stays
usable for the whole run, and an address outside the pool can never be granted. The unusable
one is taken from the cluster's own Service range, so even a mistaken packet to it would stay
on the cluster's bridge (or hit the project range's blackhole) and never leave the host.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable
from typing import Any

from harness.cluster.local.state import NetworkLayout


@dataclasses.dataclass(frozen=True)
class StaticAddresses:
    usable: str
    unusable: str


def pick_static_addresses(network: NetworkLayout, services: Iterable[Any]) -> StaticAddresses:
    """The highest pool address no Service holds or asks for, and the Service range's last."""
    claimed: set[str] = set()
    for service in services:
        spec = service.get("spec") or {}
        if spec.get("loadBalancerIP"):
            claimed.add(str(spec["loadBalancerIP"]))
        for ingress in ((service.get("status") or {}).get("loadBalancer") or {}).get(
            "ingress"
        ) or ():
            if ingress.get("ip"):
                claimed.add(str(ingress["ip"]))
    pool = ipaddress.ip_network(network.lb_pool)
    usable = next((str(ip) for ip in reversed(list(pool.hosts())) if str(ip) not in claimed), None)
    if usable is None:
        raise ValueError(f"the load-balancer pool {network.lb_pool} has no free address")
    unusable = str(list(ipaddress.ip_network(network.service_cidr).hosts())[-1])
    if ipaddress.ip_address(unusable) in pool:
        raise ValueError("the Service range overlaps the load-balancer pool")
    return StaticAddresses(usable=usable, unusable=unusable)


def static_addresses_of(cluster_name: str, api: Any) -> StaticAddresses:
    """Pick the two addresses for a running local cluster (lists its Services once)."""
    from kubernetes import client

    from harness.cluster.local.state import ClusterState

    state = ClusterState.load(cluster_name)
    services = client.CoreV1Api(api).list_service_for_all_namespaces()
    as_dicts = [api.sanitize_for_serialization(s) for s in services.items]
    return pick_static_addresses(state.network, as_dicts)
