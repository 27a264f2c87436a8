"""Node agent benchmark: time from applying a Deployment to all its Pods Ready; agent memory.

    python benchmarks/nodeagent_pods.py [--name CLUSTER] [--replicas 1,10,50] [--json]

Uses the named local cluster if it runs, else brings one up and takes it down at the end.
Targets: 50 replicas Ready <= 20 s on 2 cores; node-agent RSS with 50 Pods <= 150 MiB.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
from kubernetes import client, config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.cluster.local import controlplane
from harness.cluster.local.controlplane import UpOptions
from harness.cluster.local.state import ClusterState
from tests.integration.nodeagent_helpers import echo_deployment

TIMEOUT_SECONDS = 180.0


def _ready_count(core: client.CoreV1Api, namespace: str) -> int:
    pods = core.list_namespaced_pod(namespace, label_selector="app=bench").items
    return sum(
        1
        for p in pods
        if any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])
    )


def _rss_mib(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def measure(state: ClusterState, replicas: int) -> dict[str, Any]:
    api = config.new_client_from_config(config_file=str(state.kubeconfig))
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    namespace = f"bench-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": namespace}})
    agent_pid = state.pids["node-agent"]
    try:
        start = time.monotonic()
        apps.create_namespaced_deployment(namespace, echo_deployment("bench", namespace, replicas))
        while _ready_count(core, namespace) < replicas:
            if time.monotonic() - start > TIMEOUT_SECONDS:
                raise SystemExit(f"{replicas} replicas not Ready after {TIMEOUT_SECONDS}s")
            time.sleep(0.1)
        elapsed = time.monotonic() - start
        time.sleep(2.0)  # let the agent settle (status patches, probes) before reading memory
        result = {
            "replicas": replicas,
            "seconds_to_all_ready": round(elapsed, 2),
            "agent_rss_mib": round(_rss_mib(agent_pid), 1),
        }
        start = time.monotonic()
        core.delete_namespace(namespace)
        while True:
            try:
                core.read_namespace(namespace)
            except client.ApiException as exc:
                if exc.status == 404:
                    break
                raise
            if time.monotonic() - start > TIMEOUT_SECONDS:
                raise SystemExit(f"namespace {namespace} not deleted after {TIMEOUT_SECONDS}s")
            time.sleep(0.2)
        result["seconds_to_namespace_gone"] = round(time.monotonic() - start, 2)
        return result
    finally:
        api.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="nodeagent-bench", help="local cluster name")
    parser.add_argument("--replicas", default="1,10,50", help="comma-separated replica counts")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    counts = [int(c) for c in args.replicas.split(",") if c]
    started_here = False
    if not (ClusterState.exists(args.name) and controlplane.is_up(ClusterState.load(args.name))):
        controlplane.up(args.name, UpOptions(), progress=lambda m: None)
        started_here = True
    try:
        state = ClusterState.load(args.name)
        idle = _rss_mib(state.pids["node-agent"])
        results = [measure(state, n) for n in counts]
    finally:
        if started_here:
            controlplane.down(args.name, progress=lambda m: None)
    report = {"cpus": psutil.cpu_count(), "agent_idle_rss_mib": round(idle, 1), "runs": results}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"cpus: {report['cpus']}, node agent idle RSS: {report['agent_idle_rss_mib']} MiB")
        for r in results:
            print(
                f"{r['replicas']:>4} replicas: all Ready in {r['seconds_to_all_ready']:>6.2f} s, "
                f"agent RSS {r['agent_rss_mib']:>6.1f} MiB, "
                f"namespace gone in {r['seconds_to_namespace_gone']:.2f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
