"""Pod IP allocation from the cluster's pod range (never the network, gateway or broadcast)."""

from __future__ import annotations

import ipaddress
import threading


class PodRangeExhausted(RuntimeError):
    """Every address of the pod range is in use."""


class PodIPAllocator:
    """Hands out pod IPs round-robin, so a freed address is not reused right away.

    Reusing an address at once would let a stale EndpointSlice entry of a deleted pod point at
    a new, unrelated pod.
    """

    def __init__(self, pod_cidr: str, gateway_ip: str) -> None:
        self._network = ipaddress.ip_network(pod_cidr)
        self._first = int(self._network.network_address) + 1
        self._last = int(self._network.broadcast_address) - 1
        self._reserved = {int(ipaddress.ip_address(gateway_ip))}
        self._by_owner: dict[str, int] = {}
        self._owners: dict[int, str] = {}
        self._cursor = self._first
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        return self._last - self._first + 1 - len(self._reserved)

    def allocate(self, owner: str) -> str:
        """The owner's address (the same one again if it already has one)."""
        with self._lock:
            if owner in self._by_owner:
                return str(ipaddress.ip_address(self._by_owner[owner]))
            size = self._last - self._first + 1
            for step in range(size):
                candidate = self._first + (self._cursor - self._first + step) % size
                if candidate in self._reserved or candidate in self._owners:
                    continue
                self._by_owner[owner] = candidate
                self._owners[candidate] = owner
                self._cursor = candidate + 1 if candidate < self._last else self._first
                return str(ipaddress.ip_address(candidate))
            raise PodRangeExhausted(
                f"no free pod IP left in {self._network}; delete pods or configure a larger range"
            )

    def release(self, owner: str) -> None:
        with self._lock:
            value = self._by_owner.pop(owner, None)
            if value is not None:
                self._owners.pop(value, None)

    def in_use(self) -> dict[str, str]:
        with self._lock:
            return {o: str(ipaddress.ip_address(v)) for o, v in self._by_owner.items()}
