"""Bring a local control plane up and down: etcd, kube-apiserver, controllers, scheduler, node."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import ssl
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.cluster import crds
from harness.cluster.errors import ClusterError
from harness.cluster.kubeconfig import write_admin_kubeconfig
from harness.cluster.local import build, pki, prereqs, processes
from harness.cluster.local.state import (
    MAX_SLOTS,
    ClusterState,
    NetworkLayout,
    Ports,
    all_cluster_names,
    state_root,
)

Progress = Callable[[str], None]

# Stop order: the node agent first (pods end gracefully), etcd last.
COMPONENTS = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "node-agent",
)
KCM_CONTROLLERS = (
    "namespace-controller",
    "garbage-collector-controller",
    "deployment-controller",
    "replicaset-controller",
    "endpointslice-controller",
    "endpointslice-mirroring-controller",
    "endpoints-controller",
    "serviceaccount-controller",
    "node-lifecycle-controller",
    "pod-garbage-collector-controller",
    "root-ca-certificate-publisher-controller",
)


@dataclass
class UpOptions:
    """What the user asked `gwh cluster up` for; compared on a second `up`."""

    kubernetes_version: str = build.DEFAULT_KUBERNETES_VERSION
    gateway_api_version: str = crds.DEFAULT_GATEWAY_API_VERSION
    gateway_api_channel: str = crds.DEFAULT_CHANNEL
    crds_source: str | None = None
    assets: str | None = None
    apiserver_port: int | None = None
    node_agent: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def comparable(self) -> dict[str, Any]:
        return {
            "kubernetes_version": self.kubernetes_version,
            "gateway_api_version": self.gateway_api_version,
            "gateway_api_channel": self.gateway_api_channel,
            "crds_source": self.crds_source,
            "assets": self.assets,
            "apiserver_port": self.apiserver_port,
            "node_agent": self.node_agent,
        }


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def node_agent_available() -> bool:
    return importlib.util.find_spec("harness.cluster.local.nodeagent") is not None


# --- health -----------------------------------------------------------------------------


def _client_ssl(state: ClusterState) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(state.pki_dir / "ca.crt"))
    ctx.load_cert_chain(str(state.pki_dir / "admin.crt"), str(state.pki_dir / "admin.key"))
    return ctx


def apiserver_get(state: ClusterState, path: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(
            state.apiserver_url + path, context=_client_ssl(state), timeout=timeout
        ) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except (OSError, ssl.SSLError) as e:
        return 0, str(e)


def etcd_healthy(state: ClusterState) -> bool:
    url = f"http://127.0.0.1:{state.ports.etcd_client}/health"
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return bool(json.loads(r.read()).get("health") == "true")
    except (OSError, ValueError):
        return False


def component_running(state: ClusterState, component: str) -> bool:
    pid = state.pids.get(component)
    return pid is not None and processes.is_running(pid, state.pid_starts.get(component))


def is_up(state: ClusterState) -> bool:
    return component_running(state, "kube-apiserver") and apiserver_get(state, "/readyz")[0] == 200


# --- up -----------------------------------------------------------------------------------


def _pick_slot(name: str) -> int:
    used = set()
    for other in all_cluster_names():
        if other == name:
            continue
        try:
            used.add(ClusterState.load(other).slot)
        except (OSError, ValueError, KeyError, TypeError):
            continue
    for slot in range(MAX_SLOTS):
        if slot not in used:
            return slot
    raise ClusterError(
        f"all {MAX_SLOTS} local cluster slots are in use",
        hint="remove a cluster with `gwh cluster down --name N`",
    )


def _pick_ports(options: UpOptions) -> Ports:
    if options.apiserver_port is not None:
        if not 1 <= options.apiserver_port <= 65535:
            raise ClusterError(
                f"--apiserver-port {options.apiserver_port} is not a TCP port",
                hint="use 1..65535",
            )
        if processes.port_in_use(options.apiserver_port):
            raise ClusterError(
                f"port {options.apiserver_port} on 127.0.0.1 is in use",
                hint="choose another --apiserver-port, or leave it unset to pick a free one",
            )
        api = options.apiserver_port
    else:
        api = processes.free_port()
    chosen = {api}
    others: list[int] = []
    while len(others) < 3:
        p = processes.free_port()
        if p not in chosen:
            chosen.add(p)
            others.append(p)
    return Ports(etcd_client=others[0], etcd_peer=others[1], apiserver=api, kubelet=others[2])


def _resolve_assets(options: UpOptions, progress: Progress) -> Path:
    assets = options.assets or os.environ.get("KUBEBUILDER_ASSETS")
    if assets:
        return build.find_assets(Path(assets))
    return build.build(options.kubernetes_version, progress)


def _start(state: ClusterState, component: str, argv: list[str]) -> None:
    pid, started = processes.start_daemon(argv, state.logs_dir / f"{component}.log")
    state.pids[component] = pid
    state.pid_starts[component] = started
    state.save()


def _wait(state: ClusterState, component: str, ready: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if not component_running(state, component):
            code = processes.exited_early(state.pids[component])
            raise ClusterError(
                f"{component} exited (code {code}) while starting; last log lines:\n"
                + tail_log(state, component, 15),
                hint=f"see {state.logs_dir / (component + '.log')}",
            )
        time.sleep(0.05)
    raise ClusterError(
        f"{component} not ready after {timeout:.0f}s; last log lines:\n"
        + tail_log(state, component, 15),
        hint=f"see {state.logs_dir / (component + '.log')}",
    )


def tail_log(state: ClusterState, component: str, lines: int) -> str:
    path = state.logs_dir / f"{component}.log"
    if not path.is_file():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _etcd_argv(state: ClusterState, bin_dir: Path) -> list[str]:
    p = state.ports
    return [
        str(bin_dir / "etcd"),
        f"--name={state.name}",
        f"--data-dir={state.etcd_data_dir}",
        f"--listen-client-urls=http://127.0.0.1:{p.etcd_client}",
        f"--advertise-client-urls=http://127.0.0.1:{p.etcd_client}",
        f"--listen-peer-urls=http://127.0.0.1:{p.etcd_peer}",
        f"--initial-advertise-peer-urls=http://127.0.0.1:{p.etcd_peer}",
        f"--initial-cluster={state.name}=http://127.0.0.1:{p.etcd_peer}",
        "--unsafe-no-fsync=true",
        "--log-level=warn",
        "--quota-backend-bytes=4294967296",
        "--auto-compaction-retention=1",
        "--listen-metrics-urls=",
    ]


def _apiserver_argv(state: ClusterState, bin_dir: Path) -> list[str]:
    pk = state.pki_dir
    return [
        str(bin_dir / "kube-apiserver"),
        f"--etcd-servers=http://127.0.0.1:{state.ports.etcd_client}",
        "--bind-address=127.0.0.1",
        f"--secure-port={state.ports.apiserver}",
        "--advertise-address=127.0.0.1",
        "--endpoint-reconciler-type=none",
        f"--tls-cert-file={pk / 'apiserver.crt'}",
        f"--tls-private-key-file={pk / 'apiserver.key'}",
        f"--client-ca-file={pk / 'ca.crt'}",
        f"--kubelet-client-certificate={pk / 'apiserver-kubelet-client.crt'}",
        f"--kubelet-client-key={pk / 'apiserver-kubelet-client.key'}",
        f"--kubelet-certificate-authority={pk / 'ca.crt'}",
        "--kubelet-preferred-address-types=InternalIP",
        "--authorization-mode=Node,RBAC",
        "--allow-privileged=true",
        "--service-account-issuer=https://kubernetes.default.svc",
        f"--service-account-key-file={pk / 'sa.pub'}",
        f"--service-account-signing-key-file={pk / 'sa.key'}",
        f"--service-cluster-ip-range={state.network.service_cidr}",
        "--disable-admission-plugins=ServiceAccount",
        "--profiling=false",
        "--v=1",
    ]


def _kcm_argv(state: ClusterState, bin_dir: Path) -> list[str]:
    pk = state.pki_dir
    return [
        str(bin_dir / "kube-controller-manager"),
        f"--kubeconfig={state.kubeconfig}",
        "--leader-elect=false",
        "--secure-port=0",
        "--controllers=" + ",".join(KCM_CONTROLLERS),
        f"--root-ca-file={pk / 'ca.crt'}",
        f"--service-account-private-key-file={pk / 'sa.key'}",
        f"--service-cluster-ip-range={state.network.service_cidr}",
        "--kube-api-qps=200",
        "--kube-api-burst=400",
        "--concurrent-deployment-syncs=10",
        "--concurrent-replicaset-syncs=10",
        "--concurrent-service-endpoint-syncs=10",
        "--concurrent-namespace-syncs=10",
        "--endpointslice-updates-batch-period=0s",
        "--profiling=false",
        "--v=1",
    ]


def _scheduler_argv(state: ClusterState, bin_dir: Path) -> list[str]:
    return [
        str(bin_dir / "kube-scheduler"),
        f"--kubeconfig={state.kubeconfig}",
        "--leader-elect=false",
        "--secure-port=0",
        "--profiling=false",
        "--v=1",
    ]


def _node_ready(state: ClusterState) -> bool:
    code, body = apiserver_get(state, f"/api/v1/nodes/{state.node_name}")
    if code != 200:
        return False
    conds = json.loads(body).get("status", {}).get("conditions", [])
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)


def up(name: str, options: UpOptions, progress: Progress | None = None) -> ClusterState:
    """Start the cluster `name`, or report that it already runs with the same options."""
    say: Progress = progress or _stderr
    crds.check_channel(options.gateway_api_channel)
    build.etcd_version_for(options.kubernetes_version)
    if os.geteuid() != 0 and options.node_agent:
        raise ClusterError(
            "the local cluster's node agent needs root (network namespaces, veth, bridge)",
            hint="run as root, or pass --no-node-agent for an API-only cluster",
        )
    if ClusterState.exists(name):
        existing = ClusterState.load(name)
        if is_up(existing):
            if existing.options.get("comparable") != options.comparable():
                raise ClusterError(
                    f"cluster {name!r} is already running with other options "
                    f"({json.dumps(existing.options.get('comparable'))})",
                    hint=f"run `gwh cluster down --name {name}` first, or choose another --name",
                )
            say(f"Cluster {name!r} is already running.")
            return existing
        say(f"Cluster {name!r} has leftovers of an earlier run; cleaning them up …")
        down(name, keep_data=False, progress=lambda _m: None)
    else:
        cleanup_leftovers(name)
    if options.node_agent:
        prereqs.ensure_tools(say)

    bin_dir = _resolve_assets(options, say)
    # Only after the build: a version nobody serves must fail before anything is created.
    crd_docs = crds.load_crd_documents(
        options.gateway_api_version, options.gateway_api_channel, options.crds_source
    )
    slot = _pick_slot(name)
    ports = _pick_ports(options)
    state = ClusterState(
        name=name,
        kubernetes_version=options.kubernetes_version,
        gateway_api_version=options.gateway_api_version,
        gateway_api_channel=options.gateway_api_channel,
        assets_dir=str(bin_dir),
        slot=slot,
        network=NetworkLayout.for_slot(slot, name),
        ports=ports,
        options={"comparable": options.comparable()},
    )
    t0 = time.monotonic()
    try:
        state.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(state.dir, 0o700)
        state.save()
        pki.generate_cluster_pki(state.pki_dir, kubelet_ip=state.network.gateway_ip)
        write_admin_kubeconfig(
            state.kubeconfig,
            cluster_name=name,
            server=state.apiserver_url,
            ca=state.pki_dir / "ca.crt",
            cert=state.pki_dir / "admin.crt",
            key=state.pki_dir / "admin.key",
        )
        say(f"Starting cluster {name!r} (Kubernetes {options.kubernetes_version}) …")
        _start(state, "etcd", _etcd_argv(state, bin_dir))
        _wait(state, "etcd", lambda: etcd_healthy(state), 30)
        _start(state, "kube-apiserver", _apiserver_argv(state, bin_dir))
        _wait(state, "kube-apiserver", lambda: apiserver_get(state, "/readyz")[0] == 200, 90)
        say(f"  kube-apiserver ready at {state.apiserver_url} ({time.monotonic() - t0:.1f}s)")
        _start(state, "kube-controller-manager", _kcm_argv(state, bin_dir))
        _start(state, "kube-scheduler", _scheduler_argv(state, bin_dir))
        api = api_client(state)
        try:
            crds.install(api, crd_docs, progress=lambda m: say("  " + m))
        finally:
            api.close()
        if options.node_agent and node_agent_available():
            _start(
                state,
                "node-agent",
                [sys.executable, "-m", "harness.cluster.local.nodeagent", "--name", name],
            )
            _wait(state, "node-agent", lambda: _node_ready(state), 60)
            say(f"  node {state.node_name} Ready")
        elif options.node_agent:
            say("  (no node agent in this build: Pods stay Pending)")
        _wait(state, "kube-controller-manager", lambda: _default_sa_exists(state), 60)
        for component in ("kube-controller-manager", "kube-scheduler"):
            if not component_running(state, component):
                raise ClusterError(
                    f"{component} exited; last log lines:\n" + tail_log(state, component, 15),
                    hint=f"see {state.logs_dir / (component + '.log')}",
                )
    except BaseException:
        # Whatever failed (or Ctrl-C), nothing of this attempt may stay behind.
        down(name, keep_data=False, progress=lambda _m: None)
        raise
    say(f"Cluster {name!r} is up in {time.monotonic() - t0:.1f}s.")
    return state


def _default_sa_exists(state: ClusterState) -> bool:
    return apiserver_get(state, "/api/v1/namespaces/default/serviceaccounts/default")[0] == 200


def api_client(state: ClusterState) -> Any:
    from kubernetes import config

    return config.new_client_from_config(config_file=str(state.kubeconfig))  # type: ignore[no-untyped-call]


# --- down -------------------------------------------------------------------------------


def _network_cleanup(state: ClusterState | None, name: str) -> None:
    if importlib.util.find_spec("harness.cluster.local.network") is None:
        return
    from harness.cluster.local import network

    cleanup = getattr(network, "cleanup", None)
    if cleanup is not None and state is not None:
        cleanup(state)


def client_pids(state: ClusterState) -> list[int]:
    """Processes using the cluster (e.g. an implementation's controller with its kubeconfig):
    they name its state folder but are neither components nor Pods the node agent runs."""
    components = set(state.pids.values())
    pods = str(state.node_agent_dir) + "/"
    return sorted(
        p.pid
        for p in processes.processes_referencing(str(state.dir) + "/")
        if p.pid not in components and not _cmdline_mentions(p, pods)
    )


def _cmdline_mentions(proc: Any, text: str) -> bool:
    try:
        return any(text in arg for arg in proc.cmdline())
    except Exception:
        return False


def cleanup_leftovers(name: str) -> list[int]:
    """Kill any process still naming this cluster's state folder (a crashed run's leftovers)."""
    marker = str(state_root() / name) + "/"
    procs = processes.processes_referencing(marker)
    agent = [
        p
        for p in processes.processes_referencing("harness.cluster.local.nodeagent")
        if _cmdline_names_cluster(p, name)
    ]
    pids = sorted({p.pid for p in procs + agent})
    processes.stop(pids, timeout=5)
    return pids


def _cmdline_names_cluster(proc: Any, name: str) -> bool:
    try:
        argv: list[str] = proc.cmdline()
    except Exception:
        return False
    return any(
        a == "--name" and i + 1 < len(argv) and argv[i + 1] == name for i, a in enumerate(argv)
    )


def down(name: str, keep_data: bool = False, progress: Progress | None = None) -> bool:
    """Stop every process of `name` and remove its state; True if there was anything."""
    say: Progress = progress or _stderr
    state: ClusterState | None = None
    if ClusterState.exists(name):
        try:
            state = ClusterState.load(name)
        except (OSError, ValueError, KeyError, TypeError):
            state = None
    found = state is not None or (state_root() / name).exists()
    if state is not None:
        # Clients of the cluster (an implementation's controller started with its kubeconfig)
        # go first, so nothing recreates objects while the control plane stops.
        clients = client_pids(state)
        if clients:
            processes.stop(clients, timeout=10)
            say(f"  stopped {len(clients)} client process(es)")
        for component in reversed(COMPONENTS):
            if component_running(state, component):
                grace = 20.0 if component == "node-agent" else 5.0
                processes.stop([state.pids[component]], timeout=grace)
                say(f"  stopped {component}")
    leftovers = cleanup_leftovers(name)
    if leftovers:
        say(f"  stopped {len(leftovers)} leftover process(es)")
    _network_cleanup(state, name)
    if state is not None:
        state.pids.clear()
        state.pid_starts.clear()
        if keep_data:
            state.save()
    if not keep_data and (state_root() / name).exists():
        shutil.rmtree(state_root() / name, ignore_errors=True)
    return found


# --- status -------------------------------------------------------------------------------


def status(name: str) -> dict[str, Any]:
    if not ClusterState.exists(name):
        raise ClusterError(
            f"no local cluster named {name!r}", hint="start one with `gwh cluster up`"
        )
    state = ClusterState.load(name)
    comps: dict[str, Any] = {}
    for component in COMPONENTS:
        pid = state.pids.get(component)
        comps[component] = {"pid": pid, "running": component_running(state, component)}
    comps["etcd"]["healthy"] = etcd_healthy(state)
    code, _body = apiserver_get(state, "/readyz")
    comps["kube-apiserver"]["ready"] = code == 200
    version = None
    if code == 200:
        vcode, vbody = apiserver_get(state, "/version")
        if vcode == 200:
            version = json.loads(vbody).get("gitVersion")
    return {
        "name": name,
        "provider": "local",
        "kubeconfig": str(state.kubeconfig),
        "server": state.apiserver_url,
        "kubernetes_version": state.kubernetes_version,
        "server_version": version,
        "gateway_api": f"{state.gateway_api_version} ({state.gateway_api_channel})",
        "network": {
            "pod_cidr": state.network.pod_cidr,
            "service_cidr": state.network.service_cidr,
            "lb_pool": state.network.lb_pool,
            "bridge": state.network.bridge,
        },
        "components": comps,
        "healthy": code == 200 and all(c["running"] for k, c in comps.items() if k in state.pids),
    }
