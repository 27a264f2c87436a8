"""The Node object and its Lease: registration, Ready condition, heartbeats."""

from __future__ import annotations

import datetime as dt
import logging
import platform
import threading
from typing import Any, cast

from kubernetes import client

from harness.cluster.local.nodeagent.kubeapi import is_status, raw, retry
from harness.cluster.local.state import ClusterState

log = logging.getLogger(__name__)

Obj = dict[str, Any]
MERGE_PATCH = "application/merge-patch+json"
LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION_SECONDS = 40
LEASE_RENEW_SECONDS = 10.0
STATUS_REPORT_SECONDS = 60.0
AGENT_VERSION = "gwh-nodeagent://0.1.0"
# Room for many pods: the conformance backends request 10m CPU each.
CAPACITY = {"cpu": "64", "memory": "256Gi", "pods": "1000", "ephemeral-storage": "500Gi"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def node_status(state: ClusterState, now: dt.datetime, transition: dt.datetime) -> Obj:
    """The Node status the agent reports: Ready, no pressure, InternalIP = the bridge address."""

    def condition(kind: str, value: str, reason: str, message: str) -> Obj:
        return {
            "type": kind,
            "status": value,
            "reason": reason,
            "message": message,
            "lastHeartbeatTime": _time(now),
            "lastTransitionTime": _time(transition),
        }

    return {
        "capacity": CAPACITY,
        "allocatable": CAPACITY,
        "conditions": [
            condition(
                "MemoryPressure", "False", "KubeletHasSufficientMemory", "no memory pressure"
            ),
            condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "no disk pressure"),
            condition("PIDPressure", "False", "KubeletHasSufficientPID", "enough PIDs"),
            condition(
                "Ready", "True", "KubeletReady", "gateway-harness node agent is posting ready"
            ),
        ],
        "addresses": [
            {"type": "InternalIP", "address": state.network.gateway_ip},
            {"type": "Hostname", "address": state.node_name},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": state.ports.kubelet}},
        "nodeInfo": {
            "architecture": _arch(),
            "bootID": "",
            "containerRuntimeVersion": AGENT_VERSION,
            "kernelVersion": platform.release(),
            "kubeProxyVersion": "",
            "kubeletVersion": state.kubernetes_version,
            "machineID": "",
            "operatingSystem": "linux",
            "osImage": f"gateway-harness local node ({platform.system()})",
            "systemUUID": "",
        },
    }


class NodeRegistration:
    """Registers the Node, then keeps its Lease and Ready heartbeat fresh from one thread."""

    def __init__(self, state: ClusterState, api: client.ApiClient) -> None:
        self.state = state
        self.core = client.CoreV1Api(api)
        self.coordination = client.CoordinationV1Api(api)
        self.transition = _now()
        self.node_uid = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._heartbeat, name="node-heartbeat", daemon=True)

    def node_object(self) -> Obj:
        name = self.state.node_name
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "labels": {
                    "kubernetes.io/hostname": name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": _arch(),
                    "gateway-harness.io/node-agent": "local",
                },
            },
            "spec": {
                "podCIDR": self.state.network.pod_cidr,
                "podCIDRs": [self.state.network.pod_cidr],
            },
        }

    def register(self) -> None:
        """Create (or adopt) the Node and report it Ready."""
        name = self.state.node_name
        try:
            created = raw(
                self.core.create_node(cast(Any, self.node_object()), _preload_content=False)
            )
            self.node_uid = created["metadata"]["uid"]
            log.info("registered node %s", name)
        except Exception as exc:
            if not is_status(exc, 409):
                raise
            existing = raw(self.core.read_node(name, _preload_content=False))
            self.node_uid = existing["metadata"]["uid"]
            # Adopt the Node of an earlier run: drop its taints, refresh labels.
            self.core.patch_node(
                name,
                {
                    "metadata": {"labels": self.node_object()["metadata"]["labels"]},
                    "spec": {"taints": None},
                },
                _content_type=MERGE_PATCH,
            )
        self.report_status()
        self.renew_lease()

    def report_status(self) -> None:
        body = {"status": node_status(self.state, _now(), self.transition)}
        retry(
            lambda: self.core.patch_node_status(
                self.state.node_name, body, _content_type="application/strategic-merge-patch+json"
            ),
            what="node status",
        )

    def renew_lease(self) -> None:
        name = self.state.node_name
        spec = {
            "holderIdentity": name,
            "leaseDurationSeconds": LEASE_DURATION_SECONDS,
            "renewTime": _micro_time(_now()),
        }
        try:
            self.coordination.patch_namespaced_lease(
                name, LEASE_NAMESPACE, {"spec": spec}, _content_type=MERGE_PATCH
            )
        except Exception as exc:
            if not is_status(exc, 404):
                raise
            lease = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {
                    "name": name,
                    "namespace": LEASE_NAMESPACE,
                    "ownerReferences": [
                        {"apiVersion": "v1", "kind": "Node", "name": name, "uid": self.node_uid}
                    ],
                },
                "spec": spec,
            }
            self.coordination.create_namespaced_lease(LEASE_NAMESPACE, cast(Any, lease))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _heartbeat(self) -> None:
        last_report = 0.0
        elapsed = 0.0
        while not self._stop.wait(LEASE_RENEW_SECONDS):
            elapsed += LEASE_RENEW_SECONDS
            try:
                self.renew_lease()
                if elapsed - last_report >= STATUS_REPORT_SECONDS:
                    self.report_status()
                    last_report = elapsed
            except Exception as exc:
                log.warning("node heartbeat failed: %s", exc)
