"""The node agent: wires the node registration, pod runners, service proxy and log server."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kubernetes import client

from harness.cluster.local import network
from harness.cluster.local.images import load_registry
from harness.cluster.local.nodeagent.ipam import PodIPAllocator
from harness.cluster.local.nodeagent.kubeapi import Informer, api_client
from harness.cluster.local.nodeagent.logserver import LogServer
from harness.cluster.local.nodeagent.node import NodeRegistration
from harness.cluster.local.nodeagent.pods import PodContext, PodManager
from harness.cluster.local.nodeagent.processes import ProcessMonitor, Scheduler
from harness.cluster.local.nodeagent.services import ServiceProxy
from harness.cluster.local.state import ClusterState

log = logging.getLogger(__name__)

WORKER_THREADS = 8
SHUTDOWN_GRACE_SECONDS = 5.0


class NodeAgent:
    """One node of the local cluster; `run()` blocks until `stop()` (SIGTERM) and cleans up."""

    def __init__(self, state: ClusterState) -> None:
        self.state = state
        self._stop = threading.Event()
        self.informers: list[Informer] = []

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        state = self.state
        # Leftovers of a crashed earlier agent of this cluster go first.
        for netns in network.list_cluster_netns(state):
            network.kill_netns_processes(netns)
            network.delete_pod_sandbox(network.PodSandbox(netns, "", ""))
        for veth in network.list_cluster_veths(state):
            network.delete_pod_sandbox(network.PodSandbox("", veth, ""))
        network.ensure_bridge(state)
        network.apply_nat_table(state, [])
        state.node_agent_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

        api = api_client(state.kubeconfig)
        core = client.CoreV1Api(api)
        discovery = client.DiscoveryV1Api(api)
        registry = load_registry()
        log.info("known images: %s", ", ".join(registry.known_prefixes()))
        scheduler = Scheduler()
        monitor = ProcessMonitor()
        executor = ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="pod-worker")
        ipam = PodIPAllocator(state.network.pod_cidr, state.network.gateway_ip)
        pods = PodManager(
            lambda on_released: PodContext(
                state, registry, core, ipam, scheduler, monitor, executor, on_released
            )
        )

        def locate(namespace: str, pod: str, container: str, previous: bool) -> Path | None:
            runner = pods.find(namespace, pod)
            if runner is None or container not in runner.containers:
                return None
            return runner.log_path(container, previous=previous)

        def live(namespace: str, pod: str, container: str) -> bool:
            runner = pods.find(namespace, pod)
            return runner is not None and not runner.released

        log_server = LogServer(state, locate, live)
        log_server.start()

        node = NodeRegistration(state, api)
        node.register()
        node.start()

        services = ServiceProxy(state, api)
        services.start()
        self.informers = [
            Informer(
                "pods", core.list_pod_for_all_namespaces, pods.handle,
                field_selector=f"spec.nodeName={state.node_name}",
            ),
            Informer("services", core.list_service_for_all_namespaces, services.on_service),
            Informer(
                "endpointslices", discovery.list_endpoint_slice_for_all_namespaces,
                services.on_slice,
            ),
        ]  # fmt: skip
        for informer in self.informers:
            informer.start()
        log.info(
            "node agent of cluster %s running: node %s, bridge %s (%s), logs on %s:%d",
            state.name, state.node_name, state.network.bridge, state.network.gateway_ip,
            state.network.gateway_ip, state.ports.kubelet,
        )  # fmt: skip

        self._stop.wait()

        log.info("node agent stopping: terminating pod processes")
        for informer in self.informers:
            informer.stop()
        node.stop()
        services.stop()
        pods.shutdown(SHUTDOWN_GRACE_SECONDS)
        log_server.shutdown()
        log_server.server_close()
        scheduler.stop()
        monitor.stop()
        executor.shutdown(wait=False, cancel_futures=True)
        network.cleanup(state)
        log.info("node agent stopped; network of cluster %s removed", state.name)
