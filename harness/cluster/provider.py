"""What every cluster provider gives its callers: a kubeconfig and a way to reach Gateways."""

from __future__ import annotations

import ipaddress
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from harness.cluster.errors import ClusterError

PROVIDERS = ("local", "kind", "existing")


class Provider(Protocol):
    name: str

    def up(self, **options: Any) -> Cluster: ...
    def down(self, keep_data: bool = False) -> bool: ...
    def status(self) -> dict[str, Any]: ...
    def cluster(self) -> Cluster: ...


@dataclass(frozen=True)
class Cluster:
    """A reachable cluster: its kubeconfig, context, and the address ranges Gateways use."""

    name: str
    provider: str
    kubeconfig: Path
    context: str | None = None
    # Local clusters: traffic may go only to these ranges, through this bridge.
    allowed_ranges: tuple[str, ...] = ()
    bridge: str | None = None

    def api_client(self) -> Any:
        """A fresh `kubernetes.client.ApiClient` for this cluster."""
        from kubernetes import config

        kubeconfig, context = str(self.kubeconfig), self.context
        return config.new_client_from_config(config_file=kubeconfig, context=context)  # type: ignore[no-untyped-call]

    def check_gateway_address(self, address: str) -> None:
        """Refuse to send traffic to an address the cluster did not hand out (local only)."""
        if self.provider != "local":
            return
        ip = ipaddress.ip_address(address)
        if not any(ip in ipaddress.ip_network(r) for r in self.allowed_ranges):
            raise ClusterError(
                f"address {address} lies outside the local cluster's ranges "
                f"{', '.join(self.allowed_ranges)}",
                hint="the Gateway's status.addresses must come from the cluster's LB pool",
            )
        route = subprocess.run(
            ["ip", "-o", "route", "get", address], capture_output=True, text=True
        ).stdout
        on_bridge = f" dev {self.bridge} " in route + " "
        if self.bridge and route.startswith("local "):
            # An address the node agent put on the bridge itself (a load-balancer address).
            addrs = subprocess.run(
                ["ip", "-o", "addr", "show", "dev", self.bridge], capture_output=True, text=True
            ).stdout
            on_bridge = f" {address}/" in addrs
        if self.bridge and not on_bridge:
            raise ClusterError(
                f"the route to {address} does not go through the cluster bridge "
                f"{self.bridge} ({route.strip() or 'no route'})",
                hint="is the local cluster's node agent running? try `gwh cluster status`",
            )
