"""The existing provider: any kubeconfig and context, with the vendor's implementation installed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from harness.cluster.errors import ClusterError
from harness.cluster.provider import Cluster


class ExistingProvider:
    """`--provider existing --kubeconfig F [--context C]`: a cluster used as it is."""

    name = "existing"

    def __init__(self, kubeconfig: str | None, context: str | None = None) -> None:
        path = kubeconfig or os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
        if not path:
            path = str(Path.home() / ".kube" / "config")
        self.kubeconfig = Path(path)
        self.context = context

    def _check(self) -> None:
        if not self.kubeconfig.is_file():
            raise ClusterError(
                f"kubeconfig {self.kubeconfig} does not exist",
                hint="pass --kubeconfig FILE (or set KUBECONFIG) for --provider existing",
            )
        try:
            doc = yaml.safe_load(self.kubeconfig.read_text()) or {}
        except yaml.YAMLError as e:
            raise ClusterError(
                f"kubeconfig {self.kubeconfig} is not valid YAML: {e}",
                hint="pass a kubeconfig file",
            ) from e
        contexts = [c.get("name") for c in doc.get("contexts") or []]
        if self.context and self.context not in contexts:
            raise ClusterError(
                f"context {self.context!r} is not in {self.kubeconfig}",
                hint="choose one of: " + (", ".join(map(str, contexts)) or "(none)"),
            )

    def up(self, **options: Any) -> Cluster:
        return self.cluster()

    def down(self, keep_data: bool = False, progress: Any = None) -> bool:
        # Never tear down a cluster this tool did not create.
        return False

    def cluster(self) -> Cluster:
        self._check()
        return Cluster(
            name=self.context or "existing",
            provider="existing",
            kubeconfig=self.kubeconfig,
            context=self.context,
        )

    def status(self) -> dict[str, Any]:
        cluster = self.cluster()
        from kubernetes.client import VersionApi

        api = cluster.api_client()
        try:
            version = VersionApi(api).get_code().git_version
        except Exception as e:
            raise ClusterError(
                f"cluster of {self.kubeconfig} (context {self.context or 'current'}) "
                f"is unreachable: {e}",
                hint="check the kubeconfig, the context and the network",
            ) from e
        finally:
            api.close()
        return {
            "name": cluster.name,
            "provider": "existing",
            "kubeconfig": str(self.kubeconfig),
            "context": self.context,
            "server_version": version,
            "healthy": True,
        }
