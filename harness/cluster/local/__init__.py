"""The local provider: a real control plane and node agent on this machine, no Docker."""

from __future__ import annotations

from typing import Any

from harness.cluster.errors import ClusterError
from harness.cluster.local import controlplane
from harness.cluster.local.controlplane import UpOptions
from harness.cluster.local.state import PROJECT_RANGE, ClusterState
from harness.cluster.provider import Cluster

__all__ = ["LocalProvider", "UpOptions"]


class LocalProvider:
    """`gwh cluster … --provider local`."""

    name = "local"

    def __init__(self, cluster_name: str) -> None:
        self.cluster_name = cluster_name

    def up(self, **options: Any) -> Cluster:
        progress = options.pop("progress", None)
        controlplane.up(self.cluster_name, UpOptions(**options), progress)
        return self.cluster()

    def down(self, keep_data: bool = False, progress: Any = None) -> bool:
        return controlplane.down(self.cluster_name, keep_data=keep_data, progress=progress)

    def status(self) -> dict[str, Any]:
        return controlplane.status(self.cluster_name)

    def state(self) -> ClusterState:
        if not ClusterState.exists(self.cluster_name):
            raise ClusterError(
                f"no local cluster named {self.cluster_name!r}",
                hint="start one with `gwh cluster up`"
                + (f" --name {self.cluster_name}" if self.cluster_name != "default" else ""),
            )
        return ClusterState.load(self.cluster_name)

    def cluster(self) -> Cluster:
        state = self.state()
        if not controlplane.is_up(state):
            raise ClusterError(
                f"local cluster {self.cluster_name!r} is not running",
                hint="start it with `gwh cluster up`, or clean up with `gwh cluster down`",
            )
        net = state.network
        return Cluster(
            name=self.cluster_name,
            provider="local",
            kubeconfig=state.kubeconfig,
            context=None,
            allowed_ranges=(net.pod_cidr, net.service_cidr, net.lb_pool, str(PROJECT_RANGE)),
            bridge=net.bridge,
        )

    def logs_path(self, component: str) -> str:
        state = self.state()
        path = state.logs_dir / f"{component}.log"
        if not path.is_file():
            known = sorted(p.stem for p in state.logs_dir.glob("*.log"))
            raise ClusterError(
                f"no log for component {component!r} in cluster {self.cluster_name!r}",
                hint="choose one of: " + ", ".join(known),
            )
        return str(path)
