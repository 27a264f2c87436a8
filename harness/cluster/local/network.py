"""Host networking of one local cluster: its bridge, pod network namespaces, NAT rules, cleanup.

Everything a cluster creates carries a name derived from the cluster name, so `cleanup(state)`
finds it again after a crash:
- the bridge `state.network.bridge` (address gateway_ip/prefix of pod_cidr, with routes for the
  service and load-balancer ranges so host traffic to those addresses reaches the NAT rules);
- one network namespace per pod named `netns_prefix(name) + <id>`, joined to the bridge by a
  veth pair whose host end is named `veth_prefix(name) + <id>`;
- the nftables table `nft_table_name(name)` (Service and load-balancer DNAT, reject rules);
- the shared blackhole route for the whole project range, removed with the last cluster.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import ipaddress
import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from harness.cluster.local.state import (
    PROJECT_RANGE,
    ClusterState,
    all_cluster_names,
    bridge_name,
    netns_prefix,
)

log = logging.getLogger(__name__)

BLACKHOLE_METRIC = 4242
NETNS_DIR = Path("/run/netns")
# Mount points the agent had to create on the host for volume mounts (removed at cleanup).
CREATED_MOUNTPOINTS_FILE = "created-mountpoints.txt"


class NetworkError(RuntimeError):
    """A host networking command failed; the message names the command and its error output."""


def _cluster_hash(cluster_name: str) -> str:
    return hashlib.sha256(cluster_name.encode()).hexdigest()


def veth_prefix(cluster_name: str) -> str:
    """Prefix (7 chars) of the host ends of this cluster's veth pairs."""
    return "gv" + _cluster_hash(cluster_name)[:5]


def nft_table_name(cluster_name: str) -> str:
    """The nftables table (family ip) holding this cluster's NAT and reject rules."""
    return "gwh_" + _cluster_hash(cluster_name)[:8]


def sandbox_id(pod_uid: str) -> str:
    """A short id (8 hex chars) naming a pod's netns and veth, derived from its UID."""
    return hashlib.sha256(pod_uid.encode()).hexdigest()[:8]


def _run(argv: Sequence[str], *, input_text: str | None = None, check: bool = True) -> str:
    proc = subprocess.run(list(argv), input=input_text, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise NetworkError(f"`{' '.join(argv)}` failed (exit {proc.returncode}): {detail}")
    return proc.stdout


def _ip_batch(lines: Iterable[str], *, netns: str | None = None) -> None:
    argv = ["ip"] + (["-n", netns] if netns else []) + ["-batch", "-"]
    text = "\n".join(lines) + "\n"
    _run(argv, input_text=text)


def link_exists(name: str) -> bool:
    return Path("/sys/class/net", name).exists()


# --- bridge and routes ------------------------------------------------------------------------
def ensure_bridge(state: ClusterState) -> None:
    """Create the cluster's bridge with its address and routes (idempotent)."""
    net = state.network
    cidr = f"{net.gateway_ip}/{net.bridge_prefixlen}"
    if not link_exists(net.bridge):
        _run(["ip", "link", "add", net.bridge, "type", "bridge"])
    addrs = _run(["ip", "-o", "-4", "addr", "show", "dev", net.bridge])
    if f" {cidr} " not in addrs:
        _run(["ip", "addr", "add", cidr, "dev", net.bridge])
    _run(["ip", "link", "set", net.bridge, "up"])
    # Pods reach Service and load-balancer addresses through the host: let the host route
    # packets that arrive on this bridge (this interface only, not the whole host).
    Path(f"/proc/sys/net/ipv4/conf/{net.bridge}/forwarding").write_text("1\n")
    for extra in (net.service_cidr, net.lb_pool):
        # Without these the blackhole route would fail host connections before NAT sees them.
        _run(["ip", "route", "replace", extra, "dev", net.bridge, "src", net.gateway_ip])
    ensure_project_blackhole()


def ensure_project_blackhole() -> None:
    """The shared blackhole route for the project range: packets for nothing stay on the host."""
    existing = _run(["ip", "route", "show", "type", "blackhole", "exact", str(PROJECT_RANGE)])
    if not existing.strip():
        _run(
            [
                "ip", "route", "add", "blackhole", str(PROJECT_RANGE),
                "metric", str(BLACKHOLE_METRIC),
            ]
        )  # fmt: skip


def _other_clusters_active(state: ClusterState) -> bool:
    names = set(all_cluster_names()) - {state.name}
    return any(link_exists(bridge_name(name)) for name in names)


def remove_project_blackhole_if_unused(state: ClusterState) -> None:
    if _other_clusters_active(state):
        return
    _run(
        [
            "ip", "route", "del", "blackhole", str(PROJECT_RANGE),
            "metric", str(BLACKHOLE_METRIC),
        ],
        check=False,
    )  # fmt: skip


# --- pod sandboxes ----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class PodSandbox:
    """The network side of one pod: its netns, host veth end and IP."""

    netns: str
    host_veth: str
    ip: str

    @property
    def netns_path(self) -> str:
        return str(NETNS_DIR / self.netns)


def sandbox_for(state: ClusterState, pod_uid: str, ip: str) -> PodSandbox:
    short = sandbox_id(pod_uid)
    return PodSandbox(netns_prefix(state.name) + short, veth_prefix(state.name) + short, ip)


def create_pod_sandbox(state: ClusterState, sandbox: PodSandbox) -> None:
    """Create the pod's netns, its veth into the bridge, its address and default route."""
    net = state.network
    if (NETNS_DIR / sandbox.netns).exists() or link_exists(sandbox.host_veth):
        delete_pod_sandbox(sandbox)  # a leftover from an earlier run of this pod
    _ip_batch(
        [
            f"netns add {sandbox.netns}",
            f"link add {sandbox.host_veth} type veth peer name eth0 netns {sandbox.netns}",
            f"link set {sandbox.host_veth} master {net.bridge} up",
        ]
    )
    _ip_batch(
        [
            "link set lo up",
            f"addr add {sandbox.ip}/{net.bridge_prefixlen} dev eth0",
            "link set eth0 up",
            f"route add default via {net.gateway_ip} dev eth0",
        ],
        netns=sandbox.netns,
    )


def netns_pids(netns: str) -> list[int]:
    out = _run(["ip", "netns", "pids", netns], check=False)
    return [int(tok) for tok in out.split() if tok.isdigit()]


def kill_netns_processes(netns: str, *, timeout: float = 2.0) -> None:
    """SIGKILL every process left in a netns and wait (bounded) until they are gone."""
    deadline = time.monotonic() + timeout
    while True:
        pids = netns_pids(netns)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            log.warning("processes %s in netns %s survived SIGKILL", pids, netns)
            return
        time.sleep(0.05)


def delete_pod_sandbox(sandbox: PodSandbox) -> None:
    """Remove a pod's netns (killing what still runs there) and its veth (idempotent)."""
    if (NETNS_DIR / sandbox.netns).exists():
        kill_netns_processes(sandbox.netns)
        _run(["ip", "netns", "del", sandbox.netns], check=False)
    if link_exists(sandbox.host_veth):
        _run(["ip", "link", "del", sandbox.host_veth], check=False)


def list_cluster_netns(state: ClusterState) -> list[str]:
    prefix = netns_prefix(state.name)
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix))


def list_cluster_veths(state: ClusterState) -> list[str]:
    prefix = veth_prefix(state.name)
    return sorted(p.name for p in Path("/sys/class/net").iterdir() if p.name.startswith(prefix))


# --- Service NAT ------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ServiceFrontend:
    """One address+port a Service answers on, and the ready endpoints behind it."""

    ip: str
    port: int
    protocol: str  # "tcp" or "udp"
    backends: tuple[tuple[str, int], ...]


def render_nat_table(
    state: ClusterState, frontends: Iterable[ServiceFrontend], *, replace: bool = True
) -> str:
    """The nft script defining this cluster's table: DNAT for served frontends, reject others."""
    net = state.network
    table = nft_table_name(state.name)
    service_ranges = f"{{ {net.service_cidr}, {net.lb_pool} }}"
    rules: list[str] = []
    for fe in sorted(frontends, key=lambda f: (f.ip, f.port, f.protocol)):
        if not fe.backends:
            continue  # the filter chains reject it
        match = f"ip daddr {fe.ip} {fe.protocol} dport {fe.port}"
        backends = sorted(set(fe.backends))
        if len(backends) == 1:
            ip, port = backends[0]
            rules.append(f"    {match} dnat to {ip}:{port}")
        else:
            elements = ", ".join(f"{i} : {ip} . {port}" for i, (ip, port) in enumerate(backends))
            rules.append(
                f"    {match} dnat ip to numgen random mod {len(backends)} map {{ {elements} }}"
            )
    reject = [
        f"    ip daddr {service_ranges} meta l4proto tcp reject with tcp reset",
        f"    ip daddr {service_ranges} reject",
    ]
    lines = []
    if replace:
        lines += [f"table ip {table} {{}}", f"delete table ip {table}"]
    lines += [
        f"table ip {table} {{",
        "  chain services {",
        *rules,
        "  }",
        "  chain nat_output {",
        "    type nat hook output priority -100; policy accept;",
        f"    ip daddr {service_ranges} jump services",
        "  }",
        "  chain nat_prerouting {",
        "    type nat hook prerouting priority -100; policy accept;",
        f"    ip daddr {service_ranges} jump services",
        "  }",
        "  chain nat_postrouting {",
        "    type nat hook postrouting priority 100; policy accept;",
        # A pod calling a Service whose endpoint shares the bridge: replies must come back
        # through the host to be un-NATed, so the source becomes the gateway address.
        f"    ip saddr {net.pod_cidr} ct status dnat masquerade",
        "  }",
        "  chain filter_output {",
        "    type filter hook output priority 0; policy accept;",
        *reject,
        "  }",
        "  chain filter_forward {",
        "    type filter hook forward priority 0; policy accept;",
        *[line.replace("ip daddr", f'iifname "{net.bridge}" ip daddr', 1) for line in reject],
        # Pods never reach anything outside the project range through the host.
        f'    iifname "{net.bridge}" ip daddr != {PROJECT_RANGE} drop',
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def apply_nat_table(state: ClusterState, frontends: Iterable[ServiceFrontend]) -> None:
    """Atomically replace this cluster's nftables table."""
    _run(["nft", "-f", "-"], input_text=render_nat_table(state, frontends))


def delete_nat_table(state: ClusterState) -> None:
    _run(["nft", "delete", "table", "ip", nft_table_name(state.name)], check=False)


def nat_table_exists(state: ClusterState) -> bool:
    out = _run(["nft", "list", "tables", "ip"], check=False)
    return f"table ip {nft_table_name(state.name)}" in out.splitlines()


def address_in(address: str, cidr: str) -> bool:
    return ipaddress.ip_address(address) in ipaddress.ip_network(cidr)


# --- volume mount points ----------------------------------------------------------------------
def record_created_mountpoint(state: ClusterState, path: Path) -> None:
    state.node_agent_dir.mkdir(parents=True, exist_ok=True)
    with open(state.node_agent_dir / CREATED_MOUNTPOINTS_FILE, "a") as f:
        f.write(f"{path}\n")


def _remove_created_mountpoints(state: ClusterState) -> None:
    record = state.node_agent_dir / CREATED_MOUNTPOINTS_FILE
    if not record.is_file():
        return
    # Deepest first, and only while empty: the agent created these, nothing else may be inside.
    for line in sorted(set(record.read_text().split("\n")), key=len, reverse=True):
        if not line:
            continue
        path = Path(line)
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_size == 0:
                path.unlink()  # an empty file made as the target of a file bind mount
            else:
                path.rmdir()
    record.unlink(missing_ok=True)


# --- cleanup ----------------------------------------------------------------------------------
def cleanup(state: ClusterState) -> None:
    """Remove every network leftover of this cluster, even after a crash (idempotent)."""
    for netns in list_cluster_netns(state):
        kill_netns_processes(netns)
        _run(["ip", "netns", "del", netns], check=False)
    for veth in list_cluster_veths(state):
        _run(["ip", "link", "del", veth], check=False)
    if link_exists(state.network.bridge):
        _run(["ip", "link", "del", state.network.bridge], check=False)
    delete_nat_table(state)
    remove_project_blackhole_if_unused(state)
    _remove_created_mountpoints(state)
