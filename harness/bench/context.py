"""What a performance scenario runs in: a cluster, a GatewayClass, a scratch namespace, helpers."""

from __future__ import annotations

import contextlib
import dataclasses
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from harness.cluster import Cluster, ClusterError
from harness.kube import apply_manifest, wait_for
from harness.kube.waiting import Obj

ECHO_IMAGE = "registry.k8s.io/gateway-api/conformance/echo-basic:v0.1.0"
GATEWAY_API = "gateway.networking.k8s.io/v1"
BENCH_LABEL = "gateway-harness.dev/bench"

Progress = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class Profile:
    """How long and how wide a run is: `quick` for CI, `full` for nightly runs."""

    name: str
    load_seconds: float
    route_steps: tuple[int, ...]
    reconcile_samples: int
    churn_seconds: float
    provisioning_samples: int
    curve_fractions: tuple[float, ...]
    max_listeners: int
    reconcile_backgrounds: tuple[int, ...]

    @classmethod
    def named(cls, name: str) -> Profile:
        if name == "quick":
            return cls(
                name="quick",
                load_seconds=2.5,
                route_steps=(10, 100),
                reconcile_samples=6,
                churn_seconds=8.0,
                provisioning_samples=2,
                curve_fractions=(0.25, 0.75),
                max_listeners=2,
                reconcile_backgrounds=(10, 100),
            )
        if name == "full":
            return cls(
                name="full",
                load_seconds=20.0,
                route_steps=(10, 50, 100, 300, 500, 1000),
                reconcile_samples=40,
                churn_seconds=60.0,
                provisioning_samples=5,
                curve_fractions=(0.1, 0.25, 0.5, 0.75, 0.9),
                max_listeners=4,
                reconcile_backgrounds=(1, 100, 1000),
            )
        raise ClusterError(f"unknown benchmark profile {name!r}", hint="use quick or full")


@dataclasses.dataclass
class BenchContext:
    """Shared by every scenario of one `gwh bench` run."""

    cluster: Cluster
    gateway_class: str
    profile: Profile
    output_dir: Path
    progress: Progress
    api: client.ApiClient = dataclasses.field(init=False)
    run_id: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex[:6])
    duration_override: float | None = None
    rate_override: float | None = None
    _namespaces: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        self.api = self.cluster.api_client()

    @property
    def namespaces(self) -> list[str]:
        """The scratch namespaces created so far (the same list object, it grows)."""
        return self._namespaces

    @property
    def load_seconds(self) -> float:
        return self.duration_override or self.profile.load_seconds

    # --- objects -------------------------------------------------------------------------
    def new_namespace(self, purpose: str) -> str:
        name = f"gwh-bench-{purpose}-{self.run_id}"[:63].rstrip("-")
        body = client.V1Namespace(
            metadata=client.V1ObjectMeta(name=name, labels={BENCH_LABEL: self.run_id})
        )
        client.CoreV1Api(self.api).create_namespace(body)
        self._namespaces.append(name)
        return name

    def apply(self, objects: list[dict[str, Any]], namespace: str) -> None:
        apply_manifest(self.api, "<bench>", objects=objects, namespace=namespace)

    def deploy_echo(
        self,
        namespace: str,
        name: str = "echo",
        replicas: int = 1,
        *,
        env: dict[str, str] | None = None,
        app_protocol: str | None = None,
        tls_secret: str | None = None,
    ) -> None:
        """An echo backend (the upstream conformance image) with a Service on port 8080, or,
        with `tls_secret`, serving HTTPS with that Secret on Service port 443."""
        labels = {"app": name}
        container_env = [
            _field_env("POD_NAME", "metadata.name"),
            _field_env("NAMESPACE", "metadata.namespace"),
            *({"name": k, "value": v} for k, v in (env or {}).items()),
        ]
        pod_extra: dict[str, Any] = {}
        container_extra: dict[str, Any] = {}
        port: dict[str, Any] = {"port": 8080, "targetPort": 3000}
        if tls_secret:
            container_env += [
                {"name": "TLS_SERVER_CERT", "value": "/etc/gwh-tls/tls.crt"},
                {"name": "TLS_SERVER_PRIVKEY", "value": "/etc/gwh-tls/tls.key"},
                {"name": "HTTPS_PORT", "value": "8443"},
            ]
            pod_extra["volumes"] = [{"name": "tls", "secret": {"secretName": tls_secret}}]
            container_extra["volumeMounts"] = [{"name": "tls", "mountPath": "/etc/gwh-tls"}]
            port = {"port": 443, "targetPort": 8443}
        if app_protocol:
            port["appProtocol"] = app_protocol
        self.apply(
            [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": name},
                    "spec": {
                        "replicas": replicas,
                        "selector": {"matchLabels": labels},
                        "template": {
                            "metadata": {"labels": labels},
                            "spec": {
                                "containers": [
                                    {
                                        "name": "echo",
                                        "image": ECHO_IMAGE,
                                        "env": container_env,
                                        **container_extra,
                                    }
                                ],
                                **pod_extra,
                            },
                        },
                    },
                },
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": name},
                    "spec": {"selector": labels, "ports": [port]},
                },
            ],
            namespace,
        )
        apps = client.AppsV1Api(self.api)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            dep = apps.read_namespaced_deployment(name, namespace)
            if dep.status and (dep.status.ready_replicas or 0) >= replicas:
                return
            time.sleep(0.1)
        raise ClusterError(
            f"echo backend {namespace}/{name} not ready after 120s",
            hint=f"kubectl -n {namespace} describe pods",
        )

    def gateway(self, namespace: str, name: str, listeners: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "apiVersion": GATEWAY_API,
            "kind": "Gateway",
            "metadata": {"name": name},
            "spec": {"gatewayClassName": self.gateway_class, "listeners": listeners},
        }

    @staticmethod
    def route(
        name: str,
        gateway: str,
        *,
        path: str = "/",
        backend: str = "echo",
        hostnames: list[str] | None = None,
        section: str | None = None,
    ) -> dict[str, Any]:
        parent: dict[str, Any] = {"name": gateway}
        if section:
            parent["sectionName"] = section
        spec: dict[str, Any] = {
            "parentRefs": [parent],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": path}}],
                    "backendRefs": [{"name": backend, "port": 8080}],
                }
            ],
        }
        if hostnames:
            spec["hostnames"] = hostnames
        return {
            "apiVersion": GATEWAY_API,
            "kind": "HTTPRoute",
            "metadata": {"name": name},
            "spec": spec,
        }

    def wait_gateway_address(self, namespace: str, name: str, timeout: float = 180) -> str:
        """The Gateway's first typed address once it is Programmed; checked to be reachable."""
        obj = wait_for(
            self.api, f"{GATEWAY_API}/Gateway", namespace, name, _programmed_with_address, timeout
        )
        assert obj is not None
        address = next(
            a["value"] for a in obj["status"]["addresses"] if a.get("type") and a.get("value")
        )
        self.cluster.check_gateway_address(address)
        return str(address)

    def wait_route_accepted(
        self, namespace: str, name: str, timeout: float = 60, kind: str = "HTTPRoute"
    ) -> Obj:
        obj = wait_for(self.api, f"{GATEWAY_API}/{kind}", namespace, name, route_accepted, timeout)
        assert obj is not None
        return obj

    # --- cleanup -------------------------------------------------------------------------
    def close(self) -> None:
        core = client.CoreV1Api(self.api)
        for ns in self._namespaces:
            with contextlib.suppress(ApiException):
                core.delete_namespace(ns)
        deadline = time.monotonic() + 90
        for ns in self._namespaces:
            while time.monotonic() < deadline:
                try:
                    core.read_namespace(ns)
                except ApiException as e:
                    if e.status == 404:
                        break
                time.sleep(0.2)
        self._namespaces.clear()
        self.api.close()  # type: ignore[no-untyped-call]

    @contextlib.contextmanager
    def scoped(self) -> Iterator[BenchContext]:
        try:
            yield self
        finally:
            self.close()


def _field_env(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def _conditions(obj: Obj | None) -> dict[str, str]:
    if not obj:
        return {}
    return {c["type"]: c["status"] for c in obj.get("status", {}).get("conditions", [])}


def _programmed_with_address(obj: Obj | None) -> bool:
    """Programmed for the current spec (observedGeneration), with a typed address."""
    if not obj:
        return False
    generation = obj.get("metadata", {}).get("generation")
    current = [
        c
        for c in obj.get("status", {}).get("conditions", [])
        if c["type"] == "Programmed" and c.get("observedGeneration") == generation
    ]
    if not current or current[0]["status"] != "True":
        return False
    return any(a.get("type") and a.get("value") for a in obj["status"].get("addresses") or [])


def route_accepted(obj: Obj | None) -> bool:
    if not obj:
        return False
    parents = obj.get("status", {}).get("parents") or []
    return any(
        c["type"] == "Accepted" and c["status"] == "True"
        for p in parents
        for c in p.get("conditions", [])
    )
