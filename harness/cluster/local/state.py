"""On-disk state of one local cluster: where its files live, which ranges and ports it owns."""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import json
import os
from pathlib import Path
from typing import Any

PROJECT_RANGE = ipaddress.ip_network("198.18.0.0/15")
STATE_FILE = "state.json"
# Slot 0 keeps the documented defaults; later slots carve /19 blocks out of 198.19.32.0/19...
MAX_SLOTS = 8


def state_root() -> Path:
    """The folder holding every local cluster's state (XDG state home)."""
    base = os.environ.get("GWH_STATE_HOME") or os.environ.get("XDG_STATE_HOME")
    root = Path(base) if base else Path.home() / ".local" / "state"
    return root / "gateway-harness" / "clusters"


def cache_root() -> Path:
    """The folder holding built binaries and downloaded modules (XDG cache home)."""
    base = os.environ.get("GWH_CACHE_HOME") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "gateway-harness"


@dataclasses.dataclass(frozen=True)
class NetworkLayout:
    """Address ranges of one cluster; every one lies inside PROJECT_RANGE."""

    pod_cidr: str
    service_cidr: str
    lb_pool: str
    bridge: str

    @property
    def gateway_ip(self) -> str:
        """The bridge's own address: the pods' default gateway and the node's InternalIP."""
        return str(next(ipaddress.ip_network(self.pod_cidr).hosts()))

    @property
    def bridge_prefixlen(self) -> int:
        return ipaddress.ip_network(self.pod_cidr).prefixlen

    @classmethod
    def for_slot(cls, slot: int, name: str) -> NetworkLayout:
        if not 0 <= slot < MAX_SLOTS:
            raise ValueError(f"network slot {slot} outside 0..{MAX_SLOTS - 1}")
        bridge = bridge_name(name)
        if slot == 0:
            return cls("198.18.0.0/16", "198.19.0.0/20", "198.19.16.0/20", bridge)
        block = ipaddress.ip_network(f"198.19.{32 * slot}.0/19")
        pods, rest = block.subnets(prefixlen_diff=1)
        services, lbs = rest.subnets(prefixlen_diff=1)
        return cls(str(pods), str(services), str(lbs), bridge)


def bridge_name(cluster_name: str) -> str:
    """A Linux interface name (<= 15 chars) unique to the cluster name."""
    return "gwh" + hashlib.sha256(cluster_name.encode()).hexdigest()[:8]


def netns_prefix(cluster_name: str) -> str:
    """Prefix of every network namespace this cluster's node agent creates."""
    return "gwh-" + hashlib.sha256(cluster_name.encode()).hexdigest()[:8] + "-"


@dataclasses.dataclass
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int
    kubelet: int


@dataclasses.dataclass
class ClusterState:
    """What `gwh cluster up` recorded; read back by status, down, the node agent and clients."""

    name: str
    kubernetes_version: str
    gateway_api_version: str
    gateway_api_channel: str
    assets_dir: str
    slot: int
    network: NetworkLayout
    ports: Ports
    pids: dict[str, int] = dataclasses.field(default_factory=dict)
    # Process start times guard against signalling a recycled pid.
    pid_starts: dict[str, float] = dataclasses.field(default_factory=dict)
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    node_name: str = "gwh-node"

    # --- paths -------------------------------------------------------------------------
    @property
    def dir(self) -> Path:
        return state_root() / self.name

    @property
    def pki_dir(self) -> Path:
        return self.dir / "pki"

    @property
    def logs_dir(self) -> Path:
        return self.dir / "logs"

    @property
    def kubeconfig(self) -> Path:
        return self.dir / "admin.kubeconfig"

    @property
    def etcd_data_dir(self) -> Path:
        return self.dir / "etcd-data"

    @property
    def node_agent_dir(self) -> Path:
        """Pod sandboxes, container logs and the agent's own records."""
        return self.dir / "node"

    @property
    def apiserver_url(self) -> str:
        return f"https://127.0.0.1:{self.ports.apiserver}"

    # --- persistence -------------------------------------------------------------------
    def save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = dataclasses.asdict(self)
        tmp = self.dir / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
        os.chmod(tmp, 0o600)
        tmp.replace(self.dir / STATE_FILE)

    @classmethod
    def load(cls, name: str) -> ClusterState:
        path = state_root() / name / STATE_FILE
        data = json.loads(path.read_text())
        data["network"] = NetworkLayout(**data["network"])
        data["ports"] = Ports(**data["ports"])
        return cls(**data)

    @classmethod
    def exists(cls, name: str) -> bool:
        return (state_root() / name / STATE_FILE).is_file()


def all_cluster_names() -> list[str]:
    root = state_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / STATE_FILE).is_file())
