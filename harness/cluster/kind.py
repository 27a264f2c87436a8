"""The kind provider: a kind cluster with the Gateway API CRDs and cloud-provider-kind (Docker)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from harness.cluster import crds
from harness.cluster.errors import ClusterError
from harness.cluster.local import processes
from harness.cluster.local.state import state_root
from harness.cluster.provider import Cluster

DEFAULT_NODE_IMAGE = "kindest/node:v1.35.0"
CLOUD_PROVIDER_KIND_MODULE = "sigs.k8s.io/cloud-provider-kind"


def kind_cluster_name(name: str) -> str:
    return f"gwh-{name}"


def kind_config(api_server_port: int | None = None) -> dict[str, Any]:
    """The kind Cluster config: one node, API server on loopback only."""
    networking: dict[str, Any] = {"apiServerAddress": "127.0.0.1"}
    if api_server_port:
        networking["apiServerPort"] = api_server_port
    return {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "networking": networking,
        "nodes": [{"role": "control-plane"}],
    }


def create_command(name: str, config_path: Path, kubeconfig: Path, node_image: str) -> list[str]:
    return [
        "kind",
        "create",
        "cluster",
        "--name",
        kind_cluster_name(name),
        "--config",
        str(config_path),
        "--kubeconfig",
        str(kubeconfig),
        "--image",
        node_image,
        "--wait",
        "120s",
    ]


def delete_command(name: str, kubeconfig: Path) -> list[str]:
    return [
        "kind",
        "delete",
        "cluster",
        "--name",
        kind_cluster_name(name),
        "--kubeconfig",
        str(kubeconfig),
    ]


def load_image_command(name: str, image: str) -> list[str]:
    return ["kind", "load", "docker-image", image, "--name", kind_cluster_name(name)]


def cloud_provider_command(binary: str) -> list[str]:
    # cloud-provider-kind finds every kind cluster through the Docker API by itself.
    return [binary, "--enable-lb-port-mapping=false"]


def check_tools() -> None:
    """Fail with what to install when kind or a Docker engine is missing."""
    missing = [t for t in ("kind", "docker") if shutil.which(t) is None]
    if missing:
        raise ClusterError(
            f"--provider kind needs {' and '.join(missing)} on PATH",
            hint="install Docker (a running engine) and kind "
            "(`go install sigs.k8s.io/kind@latest`), or use the default --provider local",
        )
    probe = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        raise ClusterError(
            "the Docker engine is not reachable (`docker info` failed: "
            f"{probe.stderr.strip()[:200]})",
            hint="start the Docker engine, or use the default --provider local",
        )


class KindProvider:
    """`gwh cluster … --provider kind`."""

    name = "kind"

    def __init__(self, cluster_name: str) -> None:
        self.cluster_name = cluster_name
        self.dir = state_root() / f"kind-{cluster_name}"

    @property
    def kubeconfig(self) -> Path:
        return self.dir / "kubeconfig"

    def _run(self, cmd: list[str]) -> None:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ClusterError(
                f"`{' '.join(cmd)}` failed: {proc.stderr.strip()[-1500:]}",
                hint="see the kind error above",
            )

    def _cloud_provider_binary(self, say: Callable[[str], None]) -> str:
        found = shutil.which("cloud-provider-kind")
        if found:
            return found
        go = shutil.which("go")
        if not go:
            raise ClusterError(
                "cloud-provider-kind is not installed and Go is missing to install it",
                hint=f"`go install {CLOUD_PROVIDER_KIND_MODULE}@latest`",
            )
        say("Installing cloud-provider-kind (LoadBalancer addresses) …")
        gobin = self.dir / "bin"
        env = dict(os.environ, GOBIN=str(gobin))
        proc = subprocess.run(
            [go, "install", f"{CLOUD_PROVIDER_KIND_MODULE}@latest"],
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise ClusterError(
                f"installing cloud-provider-kind failed: {proc.stderr[-800:]}",
                hint="install it by hand and put it on PATH",
            )
        return str(gobin / "cloud-provider-kind")

    def up(self, **options: Any) -> Cluster:
        say: Callable[[str], None] = options.get("progress") or (
            lambda m: print(m, file=sys.stderr, flush=True)
        )
        check_tools()
        crds.check_channel(options.get("gateway_api_channel", crds.DEFAULT_CHANNEL))
        docs = crds.load_crd_documents(
            options.get("gateway_api_version", crds.DEFAULT_GATEWAY_API_VERSION),
            options.get("gateway_api_channel", crds.DEFAULT_CHANNEL),
            options.get("crds_source"),
        )
        if self.kubeconfig.is_file():
            say(f"kind cluster {self.cluster_name!r} already exists.")
            return self.cluster()
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        config_path = self.dir / "kind-config.yaml"
        config_path.write_text(yaml.safe_dump(kind_config(options.get("apiserver_port"))))
        try:
            say(f"Creating kind cluster {kind_cluster_name(self.cluster_name)} …")
            self._run(
                create_command(
                    self.cluster_name,
                    config_path,
                    self.kubeconfig,
                    options.get("node_image") or DEFAULT_NODE_IMAGE,
                )
            )
            os.chmod(self.kubeconfig, 0o600)
            binary = self._cloud_provider_binary(say)
            pid, started = processes.start_daemon(
                cloud_provider_command(binary), self.dir / "cloud-provider-kind.log"
            )
            (self.dir / "cloud-provider-kind.json").write_text(
                json.dumps({"pid": pid, "start": started})
            )
            api = self.cluster().api_client()
            try:
                crds.install(api, docs, progress=say)
            finally:
                api.close()
        except BaseException:
            self.down()
            raise
        return self.cluster()

    def down(self, keep_data: bool = False, progress: Any = None) -> bool:
        if not self.dir.exists():
            return False
        record = self.dir / "cloud-provider-kind.json"
        if record.is_file():
            info = json.loads(record.read_text())
            if processes.is_running(info["pid"], info.get("start")):
                processes.stop([info["pid"]], timeout=5)
        if shutil.which("kind"):
            subprocess.run(
                delete_command(self.cluster_name, self.kubeconfig), capture_output=True, text=True
            )
        shutil.rmtree(self.dir, ignore_errors=True)
        return True

    def cluster(self) -> Cluster:
        if not self.kubeconfig.is_file():
            raise ClusterError(
                f"no kind cluster named {self.cluster_name!r}",
                hint="create it with `gwh cluster up --provider kind`",
            )
        return Cluster(
            name=self.cluster_name,
            provider="kind",
            kubeconfig=self.kubeconfig,
            context=f"kind-{kind_cluster_name(self.cluster_name)}",
        )

    def status(self) -> dict[str, Any]:
        cluster = self.cluster()
        return {
            "name": self.cluster_name,
            "provider": "kind",
            "kubeconfig": str(cluster.kubeconfig),
            "context": cluster.context,
        }
