"""Gateway API CRDs: fetched from the `sigs.k8s.io/gateway-api` Go module, a file or a URL."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from kubernetes.client import ApiClient

from harness.cluster.errors import ClusterError

DEFAULT_GATEWAY_API_VERSION = "v1.6.3"
CHANNELS = ("standard", "experimental")
# The embedded default: the reference implementation supports experimental features too.
DEFAULT_CHANNEL = "experimental"
FIELD_MANAGER = "gateway-harness"
GATEWAY_API_MODULE = "sigs.k8s.io/gateway-api"

# Cluster-scoped kinds a CRD bundle holds, and their REST collection paths.
_COLLECTIONS = {
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): (
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    ),
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"): (
        "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies"
    ),
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"): (
        "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings"
    ),
}


def check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise ClusterError(
            f"unknown Gateway API channel {channel!r}", hint="use standard or experimental"
        )


def _go_list_versions() -> list[str]:
    go = shutil.which("go")
    if not go:
        return []
    proc = subprocess.run(
        [go, "list", "-m", "-versions", GATEWAY_API_MODULE], capture_output=True, text=True
    )
    return proc.stdout.split()[1:] if proc.returncode == 0 else []


def module_crd_dir(version: str, channel: str) -> Path:
    """`config/crd/<channel>` of the gateway-api module, downloaded into the Go module cache."""
    check_channel(channel)
    go = shutil.which("go")
    if not go:
        raise ClusterError(
            "Go is needed to download the Gateway API CRDs from their Go module",
            hint="install Go >= 1.26, or pass --crds FILE|URL with the CRD bundle",
        )
    proc = subprocess.run(
        [go, "mod", "download", "-json", f"{GATEWAY_API_MODULE}@{version}"],
        capture_output=True,
        text=True,
    )
    info: dict[str, Any] = {}
    if proc.stdout.strip():
        try:
            info = json.loads(proc.stdout)
        except json.JSONDecodeError:
            info = {}
    if proc.returncode != 0 or "Dir" not in info:
        served = [v for v in _go_list_versions() if "-" not in v]
        raise ClusterError(
            f"Gateway API version {version!r} cannot be downloaded: "
            f"{info.get('Error') or proc.stderr.strip()}",
            hint="choose one of: " + (", ".join(served[-8:]) or "(could not list versions)"),
        )
    crd_dir = Path(info["Dir"]) / "config" / "crd" / channel
    if not crd_dir.is_dir():
        raise ClusterError(
            f"Gateway API {version} has no {channel} CRDs at {crd_dir}",
            hint="choose a newer --gateway-api-version",
        )
    return crd_dir


def _parse(text: str, source: str) -> list[dict[str, Any]]:
    try:
        docs = [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as e:
        raise ClusterError(
            f"CRD source {source} is not valid YAML: {e}", hint="pass a CRD bundle"
        ) from e
    for i, d in enumerate(docs):
        if not isinstance(d, dict) or "kind" not in d or "apiVersion" not in d:
            raise ClusterError(
                f"CRD source {source}: document {i} is not a Kubernetes object",
                hint="pass the Gateway API CRD bundle (standard-install.yaml)",
            )
    return docs


def load_crd_documents(version: str, channel: str, source: str | None) -> list[dict[str, Any]]:
    """Every object of the CRD bundle, from `source` (file or URL) or the Go module."""
    if source:
        parsed = urllib.parse.urlparse(source)
        if parsed.scheme in ("http", "https"):
            try:
                with urllib.request.urlopen(source, timeout=30) as resp:
                    text = resp.read().decode()
            except OSError as e:
                raise ClusterError(
                    f"cannot download CRDs from {source}: {e}", hint="check the URL"
                ) from e
        else:
            path = Path(source)
            if not path.is_file():
                raise ClusterError(
                    f"CRD file {source} does not exist", hint="pass an existing file or a URL"
                )
            text = path.read_text()
        docs = _parse(text, source)
    else:
        docs = []
        for f in sorted(module_crd_dir(version, channel).glob("gateway.networking.*.yaml")):
            docs += _parse(f.read_text(), str(f))
    if not any(d["kind"] == "CustomResourceDefinition" for d in docs):
        raise ClusterError(
            f"no CustomResourceDefinition in {source or version}", hint="pass a CRD bundle"
        )
    return docs


def _apply(api: ApiClient, doc: dict[str, Any]) -> None:
    key = (doc["apiVersion"], doc["kind"])
    if key not in _COLLECTIONS:
        raise ClusterError(
            f"unexpected {doc['kind']} ({doc['apiVersion']}) in the CRD bundle",
            hint="pass a bundle of CRDs and admission policies only",
        )
    name = doc["metadata"]["name"]
    query = urllib.parse.urlencode({"fieldManager": FIELD_MANAGER, "force": "true"})
    url = f"{api.configuration.host}{_COLLECTIONS[key]}/{name}?{query}"
    resp = api.call_api(
        "PATCH",
        url,
        header_params={
            "Content-Type": "application/apply-patch+yaml",
            "Accept": "application/json",
        },
        body=doc,
    )
    body: bytes = resp.read()  # type: ignore[no-untyped-call]
    if resp.status >= 300:
        raise ClusterError(
            f"server-side apply of {doc['kind']} {name} failed ({resp.status}): "
            f"{body.decode(errors='replace')[:500]}",
            hint="check `gwh cluster logs kube-apiserver`",
        )


def install(
    api: ApiClient,
    docs: list[dict[str, Any]],
    timeout: float = 60.0,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Server-side apply every object, then wait until each CRD is Established."""
    from kubernetes.client import ApiextensionsV1Api
    from kubernetes.client.exceptions import ApiException

    for doc in docs:
        _apply(api, doc)
    names = [d["metadata"]["name"] for d in docs if d["kind"] == "CustomResourceDefinition"]
    ext = ApiextensionsV1Api(api)
    deadline = time.monotonic() + timeout
    pending = set(names)
    while pending:
        for name in sorted(pending):
            try:
                crd = ext.read_custom_resource_definition(name)
            except ApiException:
                continue
            status = crd.status
            conds = {c.type: c.status for c in ((status and status.conditions) or [])}
            if conds.get("Established") == "True":
                pending.discard(name)
        if not pending:
            break
        if time.monotonic() > deadline:
            raise ClusterError(
                f"CRDs not Established after {timeout:.0f}s: {', '.join(sorted(pending))}",
                hint="check `gwh cluster logs kube-apiserver`",
            )
        time.sleep(0.05)
    if progress:
        progress(f"Gateway API CRDs established: {len(names)}")
    return names
