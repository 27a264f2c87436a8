"""CPU and memory of the implementation under test, sampled while a scenario runs.

Local cluster: the processes of the implementation's Pods (found through their network
namespaces) and the cluster's client processes that are not control-plane components (a
controller started with the cluster's kubeconfig). Other clusters: the metrics API when the
cluster serves it; otherwise the result says that nothing could be sampled.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable

import psutil
from kubernetes import client

from harness.cluster import Cluster
from harness.cluster.local.controlplane import client_pids
from harness.cluster.local.network import netns_pids, sandbox_id
from harness.cluster.local.state import ClusterState, netns_prefix


@dataclasses.dataclass(frozen=True)
class ResourceSummary:
    """What sampling saw: CPU in cores (1.0 = one core busy), memory in MiB (sum over processes)."""

    source: str
    samples: int
    cpu_cores_mean: float | None
    cpu_cores_max: float | None
    rss_mib_max: float | None
    rss_mib_last: float | None
    note: str = ""
    rss_mib_max_per_process: float | None = None

    def metrics(self, prefix: str = "implementation") -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for name, unit, value in (
            (f"{prefix}_cpu_cores_mean", "cores", self.cpu_cores_mean),
            (f"{prefix}_cpu_cores_max", "cores", self.cpu_cores_max),
            (f"{prefix}_rss_mib_max", "MiB", self.rss_mib_max),
            (f"{prefix}_rss_mib_max_per_process", "MiB", self.rss_mib_max_per_process),
        ):
            if value is not None:
                out.append(
                    {
                        "name": name,
                        "unit": unit,
                        "better": "lower",
                        "value": value,
                        "samples": [value],
                    }
                )
        return out


def local_pod_pids(cluster: Cluster, namespaces: list[str]) -> list[int]:
    """Processes running in the network namespaces of the Pods of `namespaces`."""
    api = cluster.api_client()
    pids: set[int] = set()
    try:
        core = client.CoreV1Api(api)
        for ns in namespaces:
            for pod in core.list_namespaced_pod(ns).items:
                uid = str(pod.metadata.uid) if pod.metadata else ""
                pids.update(netns_pids(netns_prefix(cluster.name) + sandbox_id(uid)))
    finally:
        api.close()
    return sorted(pids)


def local_client_pids(cluster: Cluster) -> list[int]:
    """The cluster's clients that are neither control plane nor Pods (a controller)."""
    return client_pids(ClusterState.load(cluster.name))


def local_implementation_pids(cluster: Cluster, namespaces: list[str]) -> list[int]:
    """Processes of Pods in `namespaces` plus the cluster's non-control-plane clients."""
    return sorted(set(local_pod_pids(cluster, namespaces)) | set(local_client_pids(cluster)))


class ResourceSampler:
    """Samples a changing set of processes every `interval` seconds in a background thread."""

    def __init__(
        self, find_pids: Callable[[], list[int]], interval: float = 0.5, refresh: float = 5.0
    ) -> None:
        self._find = find_pids
        self._interval = interval
        # Finding the processes lists Pods through the API: too costly for every sample while
        # the implementation is under load on the same cores.
        self._refresh = refresh
        self._pids: list[int] = []
        self._found_at = float("-inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._cpu: list[float] = []
        self._rss: list[float] = []
        self._rss_per_process_max = 0.0
        self._procs: dict[int, psutil.Process] = {}
        self.error = ""

    def _sample(self) -> None:
        try:
            now = time.monotonic()
            if now - self._found_at >= self._refresh:
                self._pids = self._find()
                self._found_at = now
            pids = self._pids
        except Exception as e:
            self.error = f"cannot list implementation processes: {e}"
            return
        cpu = 0.0
        rss = 0.0
        measured = 0
        for pid in pids:
            proc = self._procs.get(pid)
            try:
                if proc is None:
                    proc = psutil.Process(pid)
                    proc.cpu_percent(None)  # the first call only primes the counter
                    self._procs[pid] = proc
                    continue
                cpu += proc.cpu_percent(None) / 100.0
                one = proc.memory_info().rss / 2**20
                rss += one
                measured += 1
                self._rss_per_process_max = max(self._rss_per_process_max, one)
            except psutil.Error:
                self._procs.pop(pid, None)
        # A sample in which every process was only primed would record a false zero.
        if measured:
            self._cpu.append(cpu)
            self._rss.append(rss)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def __enter__(self) -> ResourceSampler:
        self._sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def summary(self, source: str) -> ResourceSummary:
        if not self._rss:
            return ResourceSummary(
                source,
                0,
                None,
                None,
                None,
                None,
                self.error or "no implementation process was found",
            )
        return ResourceSummary(
            source=source,
            samples=len(self._rss),
            cpu_cores_mean=sum(self._cpu) / len(self._cpu),
            cpu_cores_max=max(self._cpu),
            rss_mib_max=max(self._rss),
            rss_mib_last=self._rss[-1],
            rss_mib_max_per_process=self._rss_per_process_max,
        )


class NoSampler:
    """Stands in when no source of resource numbers exists; the result says so."""

    def __init__(self, note: str) -> None:
        self.note = note

    def __enter__(self) -> NoSampler:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def summary(self, source: str) -> ResourceSummary:
        return ResourceSummary(source, 0, None, None, None, None, self.note)


def sampler_for(
    cluster: Cluster, namespaces: list[str], part: str = "all"
) -> ResourceSampler | NoSampler:
    """The best sampler this cluster allows, for `part`: all, pods (data plane) or controller."""
    if cluster.provider != "local":
        return NoSampler(
            f"resource sampling needs the local provider; on {cluster.provider} clusters "
            "install metrics-server and read the implementation's usage from the metrics API"
        )
    finders = {
        "all": lambda: local_implementation_pids(cluster, namespaces),
        "pods": lambda: local_pod_pids(cluster, namespaces),
        "controller": lambda: local_client_pids(cluster),
    }
    return ResourceSampler(finders[part])
