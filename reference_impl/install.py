"""Install and remove the reference implementation (controller + GatewayClass) on a cluster.

On the local provider the controller runs as a supervised process with the cluster's admin
kubeconfig; its pid and log live in the cluster's state folder, so `gwh cluster down` stops it
too. On kind and existing clusters the manifests in `reference_impl/deploy/` are applied.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.cluster import Cluster, ClusterError
from harness.cluster.local import processes
from harness.cluster.local.state import ClusterState
from reference_impl.controller.constants import CONTROLLER_NAME

DEFAULT_GATEWAY_CLASS = "gateway-harness"


def implementation_metadata() -> dict[str, str]:
    """What a ConformanceReport says about this implementation (upstream's report fields)."""
    from reference_impl.images import image_tag

    return {
        "organization": "gateway-harness",
        "project": "reference-implementation",
        "url": "urn:gateway-harness:reference-implementation",
        "version": image_tag(),
        "contact": "gateway-harness maintainers",
    }


COMPONENT = "reference-controller"
DEPLOY_DIR = Path(__file__).parent / "deploy"

Progress = Callable[[str], None]


def _gatewayclass(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "GatewayClass",
        "metadata": {"name": name},
        "spec": {
            "controllerName": CONTROLLER_NAME,
            "description": "gateway-harness reference implementation",
        },
    }


def _record_path(state: ClusterState) -> Path:
    return state.dir / f"{COMPONENT}.json"


def _running_record(state: ClusterState) -> dict[str, Any] | None:
    path = _record_path(state)
    if not path.is_file():
        return None
    record: dict[str, Any] = json.loads(path.read_text())
    if processes.is_running(record["pid"], record.get("start")):
        return record
    return None


def _apply_gatewayclass(cluster: Cluster, name: str) -> None:
    from kubernetes.client import CustomObjectsApi

    api = cluster.api_client()
    try:
        CustomObjectsApi(api).patch_cluster_custom_object(
            "gateway.networking.k8s.io",
            "v1",
            "gatewayclasses",
            name,
            _gatewayclass(name),
            field_manager="gateway-harness",
            force=True,
            _content_type="application/apply-patch+yaml",
        )
    finally:
        api.close()


def _wait_accepted(cluster: Cluster, name: str, timeout: float, log: Path | None) -> None:
    from kubernetes.client import CustomObjectsApi
    from kubernetes.client.exceptions import ApiException

    api = cluster.api_client()
    custom = CustomObjectsApi(api)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            gwc: Any = {}
            with contextlib.suppress(ApiException):
                gwc = custom.get_cluster_custom_object(
                    "gateway.networking.k8s.io", "v1", "gatewayclasses", name
                )
            conds = gwc.get("status", {}).get("conditions", [])
            if any(c["type"] == "Accepted" and c["status"] == "True" for c in conds):
                return
            time.sleep(0.1)
    finally:
        api.close()
    where = f"; see {log}" if log else ""
    raise ClusterError(
        f"GatewayClass {name} was not Accepted within {timeout:.0f}s{where}",
        hint="check the reference controller's log",
    )


def install(
    cluster: Cluster,
    *,
    gateway_class: str = DEFAULT_GATEWAY_CLASS,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Start the controller and create its GatewayClass; waits until the class is Accepted."""
    say: Progress = progress or (lambda m: print(m, file=sys.stderr, flush=True))
    if cluster.provider != "local":
        from reference_impl.cluster_install import install_in_cluster

        say(f"Installing the reference implementation on the {cluster.provider} cluster …")
        install_in_cluster(cluster, gateway_class, say)
        _wait_accepted(cluster, gateway_class, 60, None)
        say(f"GatewayClass {gateway_class} is Accepted.")
        return {"gateway_class": gateway_class}
    state = ClusterState.load(cluster.name)
    record = _running_record(state)
    if record is None:
        argv = [
            sys.executable,
            "-m",
            "reference_impl.controller",
            "--kubeconfig",
            str(state.kubeconfig),
            "--log-level",
            "INFO",
        ]
        pid, start = processes.start_daemon(argv, state.logs_dir / f"{COMPONENT}.log")
        record = {"pid": pid, "start": start}
        _record_path(state).write_text(json.dumps(record))
        say(f"Started the reference controller (pid {pid}).")
    else:
        say(f"The reference controller is already running (pid {record['pid']}).")
    _apply_gatewayclass(cluster, gateway_class)
    _wait_accepted(cluster, gateway_class, 60, state.logs_dir / f"{COMPONENT}.log")
    say(f"GatewayClass {gateway_class} is Accepted.")
    return {"gateway_class": gateway_class, "controller_pid": record["pid"]}


def uninstall(
    cluster: Cluster,
    *,
    gateway_class: str = DEFAULT_GATEWAY_CLASS,
    progress: Progress | None = None,
) -> bool:
    """Delete the GatewayClass and stop the controller; True if anything was there."""
    from kubernetes.client import CustomObjectsApi
    from kubernetes.client.exceptions import ApiException

    say: Progress = progress or (lambda m: print(m, file=sys.stderr, flush=True))
    found = False
    api = cluster.api_client()
    try:
        CustomObjectsApi(api).delete_cluster_custom_object(
            "gateway.networking.k8s.io", "v1", "gatewayclasses", gateway_class
        )
        found = True
        say(f"Deleted GatewayClass {gateway_class}.")
    except ApiException as e:
        if e.status != 404:
            raise
    finally:
        api.close()
    if cluster.provider != "local":
        from reference_impl.cluster_install import uninstall_in_cluster

        return uninstall_in_cluster(cluster, gateway_class, say) or found
    if cluster.provider == "local":
        state = ClusterState.load(cluster.name)
        record = _running_record(state)
        if record is not None:
            processes.stop([record["pid"]], timeout=10)
            found = True
            say("Stopped the reference controller.")
        _record_path(state).unlink(missing_ok=True)
    return found
