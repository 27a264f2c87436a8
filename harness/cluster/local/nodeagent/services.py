"""Service traffic on the host: load-balancer addresses from the pool and kernel DNAT rules.

LoadBalancer Services get `status.loadBalancer.ingress[].ip` from `lb_pool` (as
cloud-provider-kind does for kind; every Service of that type, whatever its
loadBalancerClass, since no other load-balancer controller runs in the local cluster).
ClusterIPs and those addresses are DNATed by nftables to ready endpoints taken from
EndpointSlices, balanced at random; addresses with no ready endpoint are rejected.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from kubernetes import client

from harness.cluster.local import network
from harness.cluster.local.nodeagent.kubeapi import is_status
from harness.cluster.local.state import ClusterState

log = logging.getLogger(__name__)

Obj = dict[str, Any]
MERGE_PATCH = "application/merge-patch+json"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
DEBOUNCE_SECONDS = 0.05


def _key(obj: Obj) -> str:
    meta = obj["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


def _status_ips(service: Obj) -> list[str]:
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return [i["ip"] for i in ingress if i.get("ip")]


def assign_lb_addresses(services: Iterable[Obj], pool: str) -> dict[str, str]:
    """Service key -> pool address for every LoadBalancer Service.

    A Service keeps the pool address its status already shows when it asks for no particular
    address or for exactly that one (oldest Service wins a clash). Then a Service gets its
    `spec.loadBalancerIP` if that is a free pool address, so changing the field moves the
    Service. A Service whose wanted address cannot be had (outside the pool, or held by an
    older Service) keeps its current address or gets the lowest free one, as cloud providers
    that ignore the field do; the Gateway controller sees that the address is not the one
    requested.
    """
    network_ = ipaddress.ip_network(pool)
    lb = [s for s in services if (s.get("spec") or {}).get("type") == "LoadBalancer"]
    lb.sort(key=lambda s: (s["metadata"].get("creationTimestamp", ""), _key(s)))
    taken: dict[str, str] = {}
    result: dict[str, str] = {}

    def wanted_of(service: Obj) -> str:
        return str((service.get("spec") or {}).get("loadBalancerIP") or "")

    def keep_status_ip(service: Obj, only: str = "") -> None:
        for ip in _status_ips(service):
            if network.address_in(ip, pool) and ip not in taken and ip == (only or ip):
                taken[ip] = _key(service)
                result[_key(service)] = ip
                return

    for service in lb:
        keep_status_ip(service, only=wanted_of(service))
    for service in lb:
        wanted = wanted_of(service)
        if _key(service) in result or not wanted:
            continue
        if network.address_in(wanted, pool) and wanted not in taken:
            taken[wanted] = _key(service)
            result[_key(service)] = wanted
    free = (str(h) for h in network_.hosts())
    for service in lb:
        key = _key(service)
        if key in result:
            continue
        keep_status_ip(service)
        if key in result:
            continue
        choice = next((ip for ip in free if ip not in taken), "")
        if not choice:
            log.warning("load-balancer pool %s is exhausted; %s gets no address", pool, key)
            continue
        taken[choice] = key
        result[key] = choice
    return result


def ready_backends(
    slices: Iterable[Obj], port_name: str, protocol: str
) -> tuple[tuple[str, int], ...]:
    """(address, port) of every ready endpoint serving the named Service port."""
    backends: set[tuple[str, int]] = set()
    for eps in slices:
        if eps.get("addressType", "IPv4") != "IPv4":
            continue
        ports = [
            p for p in eps.get("ports") or []
            if (p.get("name") or "") == port_name and p.get("protocol", "TCP") == protocol
            and p.get("port") is not None
        ]  # fmt: skip
        for endpoint in eps.get("endpoints") or []:
            # nil "ready" means unknown, which consumers treat as ready.
            if (endpoint.get("conditions") or {}).get("ready") is False:
                continue
            for address in endpoint.get("addresses") or []:
                for port in ports:
                    backends.add((address, int(port["port"])))
    return tuple(sorted(backends))


def service_frontends(
    services: Iterable[Obj],
    slices_by_service: Mapping[str, list[Obj]],
    lb_addresses: Mapping[str, str],
) -> list[network.ServiceFrontend]:
    """Every address+port a Service answers on (ClusterIPs and load-balancer IPs)."""
    frontends: list[network.ServiceFrontend] = []
    for service in services:
        spec = service.get("spec") or {}
        key = _key(service)
        addresses = [
            ip for ip in spec.get("clusterIPs") or [spec.get("clusterIP")] if ip and ip != "None"
        ]
        if key in lb_addresses:
            addresses.append(lb_addresses[key])
        slices = slices_by_service.get(key, [])
        for port in spec.get("ports") or []:
            protocol = port.get("protocol", "TCP")
            if protocol not in ("TCP", "UDP"):
                continue
            backends = ready_backends(slices, port.get("name") or "", protocol)
            for address in addresses:
                if ":" in address:
                    continue  # IPv4 only
                frontends.append(
                    network.ServiceFrontend(address, int(port["port"]), protocol.lower(), backends)
                )
    return frontends


class ServiceProxy:
    """Watches Services and EndpointSlices (fed by informers) and keeps status and rules current."""

    def __init__(self, state: ClusterState, api: client.ApiClient) -> None:
        self.state = state
        self.core = client.CoreV1Api(api)
        self._services: dict[str, Obj] = {}
        self._slices: dict[str, Obj] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._applied: list[network.ServiceFrontend] | None = None
        self._published: dict[str, str] = {}  # patched, not yet seen back
        self._thread = threading.Thread(target=self._run, name="service-proxy", daemon=True)

    def on_service(self, event_type: str, service: Obj) -> None:
        with self._lock:
            if event_type == "DELETED":
                self._services.pop(_key(service), None)
            else:
                self._services[_key(service)] = service
        self._wake.set()

    def on_slice(self, event_type: str, eps: Obj) -> None:
        with self._lock:
            if event_type == "DELETED":
                self._slices.pop(_key(eps), None)
            else:
                self._slices[_key(eps)] = eps
        self._wake.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.is_set():
                return
            self._stop.wait(DEBOUNCE_SECONDS)  # gather a burst of changes into one rule update
            self._wake.clear()
            try:
                self.sync()
            except Exception:
                log.exception("service sync failed; retrying")
                self._stop.wait(1.0)
                self._wake.set()

    def sync(self) -> None:
        with self._lock:
            services = list(self._services.values())
            slices = list(self._slices.values())
        by_service: dict[str, list[Obj]] = {}
        for eps in slices:
            owner = (eps["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL)
            if owner:
                by_service.setdefault(f"{eps['metadata'].get('namespace', '')}/{owner}", []).append(
                    eps
                )
        lb_addresses = assign_lb_addresses(services, self.state.network.lb_pool)
        self._publish_lb_status(services, lb_addresses)
        frontends = service_frontends(services, by_service, lb_addresses)
        if frontends != self._applied:
            network.apply_nat_table(self.state, frontends)
            self._applied = frontends

    def _publish_lb_status(self, services: list[Obj], lb_addresses: Mapping[str, str]) -> None:
        for service in services:
            key = _key(service)
            current = _status_ips(service)
            wanted = lb_addresses.get(key)
            if wanted is not None:
                if current == [wanted]:
                    self._published.pop(key, None)  # confirmed by the informer
                    continue
                if self._published.get(key) == wanted:
                    continue  # patched; the informer has not shown it yet
                body: Obj = {
                    "status": {"loadBalancer": {"ingress": [{"ip": wanted, "ipMode": "VIP"}]}}
                }
            elif any(network.address_in(ip, self.state.network.lb_pool) for ip in current):
                body = {"status": {"loadBalancer": {"ingress": None}}}  # type changed: release
            else:
                continue
            meta = service["metadata"]
            try:
                self.core.patch_namespaced_service_status(
                    meta["name"], meta.get("namespace", ""), body, _content_type=MERGE_PATCH
                )
                if wanted is not None:
                    self._published[key] = wanted
                else:
                    self._published.pop(key, None)
                log.info("service %s: load-balancer address %s", key, wanted or "released")
            except Exception as exc:
                if not is_status(exc, 404):
                    raise
        for key in set(self._published) - set(lb_addresses):
            del self._published[key]
