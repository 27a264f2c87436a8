"""`gwh cluster up|down|status|kubeconfig|logs`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

import harness.cluster
from harness.cluster import PROVIDERS, ClusterError
from harness.cluster.crds import CHANNELS, DEFAULT_CHANNEL, DEFAULT_GATEWAY_API_VERSION
from harness.cluster.local.build import DEFAULT_KUBERNETES_VERSION

if TYPE_CHECKING:
    from harness.cli import Output


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", default="default", help="cluster name (default: %(default)s)")
    p.add_argument(
        "--provider",
        default="local",
        help=f"one of {', '.join(PROVIDERS)} (default: %(default)s)",
    )
    p.add_argument("--kubeconfig", help="kubeconfig file (provider existing)")
    p.add_argument("--context", help="kubeconfig context (provider existing)")


def register(sub: Any) -> None:
    cluster = sub.add_parser("cluster", help="create, inspect and remove clusters")
    csub = cluster.add_subparsers(dest="cluster_command", metavar="ACTION")
    csub.required = True

    up = csub.add_parser(
        "up",
        help="start a cluster (local: built once, then from the cache)",
        description="Start a cluster. The local provider runs etcd, kube-apiserver, "
        "kube-controller-manager, kube-scheduler and a node agent on this machine, builds "
        "them from their Go modules once per version, and installs the Gateway API CRDs.",
    )
    _common(up)
    up.add_argument(
        "--kubernetes-version",
        default=DEFAULT_KUBERNETES_VERSION,
        help="Kubernetes release to build/run (default: %(default)s)",
    )
    up.add_argument(
        "--gateway-api-version",
        default=DEFAULT_GATEWAY_API_VERSION,
        help="Gateway API CRD version (default: %(default)s)",
    )
    up.add_argument(
        "--channel",
        dest="gateway_api_channel",
        default=DEFAULT_CHANNEL,
        help=f"Gateway API channel: {' or '.join(CHANNELS)} (default: %(default)s)",
    )
    up.add_argument(
        "--crds",
        dest="crds_source",
        metavar="FILE|URL",
        help="install the CRDs from this bundle instead of the Go module",
    )
    up.add_argument(
        "--assets",
        metavar="DIR",
        help="use prebuilt binaries from DIR (default: $KUBEBUILDER_ASSETS, else build them)",
    )
    up.add_argument("--apiserver-port", type=int, help="API server port (default: a free one)")
    up.add_argument(
        "--no-node-agent",
        dest="node_agent",
        action="store_false",
        help="API-only cluster: no node, Pods stay Pending",
    )
    up.set_defaults(handler=cmd_up)

    down = csub.add_parser("down", help="stop a cluster and remove everything it made")
    _common(down)
    down.add_argument(
        "--keep-data",
        action="store_true",
        help="keep the state folder (certificates, etcd data, logs)",
    )
    down.set_defaults(handler=cmd_down)

    status = csub.add_parser("status", help="components, versions, pids and health")
    _common(status)
    status.set_defaults(handler=cmd_status)

    kc = csub.add_parser("kubeconfig", help="print the path of the cluster's kubeconfig")
    _common(kc)
    kc.set_defaults(handler=cmd_kubeconfig)

    logs = csub.add_parser("logs", help="print a control-plane component's log")
    _common(logs)
    logs.add_argument(
        "component",
        help="etcd, kube-apiserver, kube-controller-manager, kube-scheduler or node-agent",
    )
    logs.add_argument("--tail", type=int, default=0, help="only the last N lines")
    logs.set_defaults(handler=cmd_logs)


def _provider(args: argparse.Namespace) -> Any:
    return harness.cluster.provider_for(
        args.provider, name=args.name, kubeconfig=args.kubeconfig, context=args.context
    )


def cmd_up(args: argparse.Namespace, out: Output) -> int:
    provider = _provider(args)
    options: dict[str, Any] = {
        "kubernetes_version": args.kubernetes_version,
        "gateway_api_version": args.gateway_api_version,
        "gateway_api_channel": args.gateway_api_channel,
        "crds_source": args.crds_source,
        "assets": args.assets,
        "apiserver_port": args.apiserver_port,
        "progress": out.progress,
    }
    if args.provider == "local":
        options["node_agent"] = args.node_agent
    cluster = provider.up(**options)
    human = (
        f"Cluster {cluster.name!r} ({cluster.provider}) is ready. Use it with:\n"
        f"  export KUBECONFIG={cluster.kubeconfig}"
    )
    if args.provider == "local":
        state = provider.state()
        human += f"\n  kubectl: {os.path.join(state.assets_dir, 'kubectl')}"
    out.result(
        human,
        {
            "name": cluster.name,
            "provider": cluster.provider,
            "kubeconfig": str(cluster.kubeconfig),
            "context": cluster.context,
        },
    )
    return 0


def cmd_down(args: argparse.Namespace, out: Output) -> int:
    found = _provider(args).down(keep_data=args.keep_data, progress=out.progress)
    msg = (
        f"Cluster {args.name!r} is down." if found else f"No cluster {args.name!r}; nothing to do."
    )
    out.result(msg, {"name": args.name, "removed": found})
    return 0


def cmd_status(args: argparse.Namespace, out: Output) -> int:
    info = _provider(args).status()
    lines = [f"{k}: {v}" for k, v in info.items() if k != "components"]
    for comp, c in (info.get("components") or {}).items():
        state = "running" if c.get("running") else "stopped"
        lines.append(f"  {comp:<24} pid {c.get('pid')!s:<8} {state}")
    out.result("\n".join(lines), info)
    return 0 if info.get("healthy") else 1


def cmd_kubeconfig(args: argparse.Namespace, out: Output) -> int:
    provider = _provider(args)
    path = (
        provider.state().kubeconfig if args.provider == "local" else provider.cluster().kubeconfig
    )
    out.result(str(path), {"kubeconfig": str(path)})
    return 0


def cmd_logs(args: argparse.Namespace, out: Output) -> int:
    if args.provider != "local":
        raise ClusterError(
            "`gwh cluster logs` reads the local provider's component logs",
            hint="use kubectl logs for other providers",
        )
    path = _provider(args).logs_path(args.component)
    with open(path, errors="replace") as f:
        lines = f.readlines()
    sys.stdout.writelines(lines[-args.tail :] if args.tail > 0 else lines)
    return 0
