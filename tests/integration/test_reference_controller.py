"""The reference controller against the real local cluster: statuses, provisioning, traffic.

The controller runs as its real entry point (`python -m reference_impl.controller`) with a
controller name of its own, so it cannot touch another controller's classes in the shared
cluster.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from kubernetes import client

from reference_impl.controller import examples
from tests.integration.nodeagent_helpers import echo_deployment, service

EnvT = TypeVar("EnvT")

pytestmark = [pytest.mark.integration]

GROUP, VERSION = "gateway.networking.k8s.io", "v1"
T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 60) -> T:
    """Poll until probe returns something truthy; fail naming what, and the last value."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last seen: {last!r}")


def condition(conditions: list[dict[str, Any]] | None, type_: str) -> dict[str, Any] | None:
    return next((c for c in conditions or () if c.get("type") == type_), None)


class Env:
    """One controller process, its GatewayClass and a namespace for the module's objects."""

    def __init__(self, local_cluster: Any) -> None:
        suffix = uuid.uuid4().hex[:8]
        self.controller_name = f"gateway-harness.dev/reference-controller-test-{suffix}"
        self.class_name = f"reference-test-{suffix}"
        self.namespace = f"ref-{suffix}"
        self.api = local_cluster.api_client()
        # Any: the client's typed stubs do not model the plain dicts these tests send.
        self.custom: Any = client.CustomObjectsApi(self.api)
        self.core: Any = client.CoreV1Api(self.api)
        self.apps: Any = client.AppsV1Api(self.api)
        self.kubeconfig = str(local_cluster.kubeconfig)

    def get(self, plural: str, name: str) -> dict[str, Any]:
        obj: dict[str, Any] = self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, plural, name
        )
        return obj

    def create(self, plural: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {"apiVersion": f"{GROUP}/{VERSION}", **body}
        body["metadata"] = {"namespace": self.namespace, **body["metadata"]}
        obj: dict[str, Any] = self.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.namespace, plural, body
        )
        return obj

    def gateway(self, name: str, listeners: list[dict[str, Any]]) -> dict[str, Any]:
        return self.create(
            "gateways",
            {
                "kind": "Gateway",
                "metadata": {"name": name},
                "spec": {"gatewayClassName": self.class_name, "listeners": listeners},
            },
        )

    def route(self, name: str, gateway: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
        return self.create(
            "httproutes",
            {
                "kind": "HTTPRoute",
                "metadata": {"name": name},
                "spec": {"parentRefs": [{"name": gateway}], "rules": rules},
            },
        )

    def our_parent(self, route: str) -> dict[str, Any] | None:
        parents = (self.get("httproutes", route).get("status") or {}).get("parents") or []
        return next((p for p in parents if p["controllerName"] == self.controller_name), None)


@contextlib.contextmanager
def running_controller(environment: EnvT) -> Iterator[EnvT]:
    """A controller instance of its own, its GatewayClass and namespace, for the block.

    `environment` names them: core, custom, kubeconfig, namespace, class_name, controller_name.
    """
    environment.core.create_namespace({"metadata": {"name": environment.namespace}})
    environment.custom.create_cluster_custom_object(
        GROUP,
        VERSION,
        "gatewayclasses",
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "GatewayClass",
            "metadata": {"name": environment.class_name},
            "spec": {"controllerName": environment.controller_name},
        },
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reference_impl.controller",
            "--kubeconfig",
            environment.kubeconfig,
            "--controller-name",
            environment.controller_name,
            "--gateway-class-name",
            environment.class_name,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield environment
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        environment.core.delete_namespace(environment.namespace)
        environment.custom.delete_cluster_custom_object(
            GROUP, VERSION, "gatewayclasses", environment.class_name
        )
        assert process.returncode == 0, f"controller exited {process.returncode}:\n{output}"


@pytest.fixture(scope="module")
def env(local_cluster: Any) -> Iterator[Env]:
    with running_controller(Env(local_cluster)) as environment:
        yield environment


def test_gateway_class_is_accepted_with_features(env: Env) -> None:
    def accepted() -> dict[str, Any] | None:
        gc = env.custom.get_cluster_custom_object(GROUP, VERSION, "gatewayclasses", env.class_name)
        cond = condition((gc.get("status") or {}).get("conditions"), "Accepted")
        ok = cond and cond["status"] == "True" and cond.get("observedGeneration") == 1
        return gc if ok else None

    gc = wait_for("GatewayClass Accepted=True", accepted)
    names = [f["name"] for f in gc["status"]["supportedFeatures"]]
    assert "HTTPRoute" in names and names == sorted(names)


def test_missing_backend_is_backend_not_found(env: Env) -> None:
    env.gateway("missing-backend", [{"name": "http", "port": 80, "protocol": "HTTP"}])
    env.route(
        "missing", "missing-backend", [{"backendRefs": [{"name": "nonexistent", "port": 8080}]}]
    )

    def resolved_refs() -> dict[str, Any] | None:
        parent = env.our_parent("missing")
        return condition(parent["conditions"], "ResolvedRefs") if parent else None

    cond = wait_for("route ResolvedRefs", resolved_refs)
    assert (cond["status"], cond["reason"]) == ("False", "BackendNotFound")
    parent = env.our_parent("missing")
    assert parent is not None
    accepted = condition(parent["conditions"], "Accepted")
    assert accepted is not None and accepted["status"] == "True"


def test_status_follows_a_backend_deleted_right_after_the_route_was_written(env: Env) -> None:
    """Our own status writes wake no reconcile; a backend deleted while the routes' first
    statuses are being written must still show in them, well before the 30 s resync."""
    env.gateway("quick-changes", [{"name": "http", "port": 80, "protocol": "HTTP"}])
    names = [f"quick-{i}" for i in range(12)]
    for name in names:
        env.core.create_namespaced_service(env.namespace, service(name, env.namespace))
    for name in names:
        env.route(name, "quick-changes", [{"backendRefs": [{"name": name, "port": 8080}]}])

    def reason_of(route: str) -> str | None:
        parent = env.our_parent(route)
        cond = condition(parent["conditions"], "ResolvedRefs") if parent else None
        return cond["reason"] if cond else None

    for i, name in enumerate(names):  # deletions land before, during and after the writes
        if i % 2:
            wait_for(f"{name} status", lambda name=name: reason_of(name), timeout=30)
        time.sleep(0.005 * i)
        env.core.delete_namespaced_service(name, env.namespace)
    for name in names:
        wait_for(
            f"{name} ResolvedRefs=BackendNotFound",
            lambda name=name: reason_of(name) == "BackendNotFound",
            timeout=15,  # resync is 30 s: a lost write would not show up in time
        )


def test_conflicting_listeners_are_conflicted(env: Env) -> None:
    env.gateway(
        "conflicts",
        [
            {"name": "plain", "port": 8443, "protocol": "HTTP"},
            {
                "name": "secure",
                "port": 8443,
                "protocol": "HTTPS",
                "hostname": "secure.example.com",
                "tls": {"certificateRefs": [{"name": "absent"}]},
            },
            {"name": "fine", "port": 80, "protocol": "HTTP"},
        ],
    )

    def listeners() -> list[dict[str, Any]] | None:
        status = env.get("gateways", "conflicts").get("status") or {}
        return status.get("listeners") or None

    entries = {e["name"]: e for e in wait_for("listener status", listeners)}
    for name in ("plain", "secure"):
        conflicted = condition(entries[name]["conditions"], "Conflicted")
        assert conflicted is not None
        assert (conflicted["status"], conflicted["reason"]) == ("True", "ProtocolConflict")
    fine = condition(entries["fine"]["conditions"], "Accepted")
    assert fine is not None and fine["status"] == "True"
    accepted = condition(env.get("gateways", "conflicts")["status"]["conditions"], "Accepted")
    assert accepted is not None
    assert (accepted["status"], accepted["reason"]) == ("True", "ListenersNotValid")


def test_observed_generation_follows_a_patch(env: Env) -> None:
    env.gateway("bump", [{"name": "http", "port": 80, "protocol": "HTTP"}])

    def conditions_at(generation: int) -> list[dict[str, Any]] | None:
        gw = env.get("gateways", "bump")
        conds = (gw.get("status") or {}).get("conditions") or []
        ok = (
            gw["metadata"]["generation"] == generation
            and conds
            and all(c.get("observedGeneration") == generation for c in conds)
        )
        return conds if ok else None

    first = wait_for("conditions at generation 1", lambda: conditions_at(1))
    env.custom.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        env.namespace,
        "gateways",
        "bump",
        {
            "spec": {
                "listeners": [
                    {"name": "http", "port": 80, "protocol": "HTTP"},
                    {"name": "alternate", "port": 8080, "protocol": "HTTP"},
                ]
            }
        },
    )
    second = wait_for("conditions at generation 2", lambda: conditions_at(2))
    before = condition(first, "Accepted")
    after = condition(second, "Accepted")
    assert before is not None and after is not None
    assert after["lastTransitionTime"] == before["lastTransitionTime"]
    listeners = env.get("gateways", "bump")["status"]["listeners"]
    assert [entry["name"] for entry in listeners] == ["http", "alternate"]


def test_proxy_deployment_and_service_are_owned_by_the_gateway(env: Env) -> None:
    gw = env.gateway("owned", [{"name": "http", "port": 80, "protocol": "HTTP"}])
    selector = "gateway.networking.k8s.io/gateway-name=owned"

    def objects() -> tuple[Any, Any] | None:
        deployments = env.apps.list_namespaced_deployment(env.namespace, label_selector=selector)
        services = env.core.list_namespaced_service(env.namespace, label_selector=selector)
        if deployments.items and services.items:
            return deployments.items[0], services.items[0]
        return None

    deployment, svc = wait_for("proxy Deployment and Service", objects)
    for obj in (deployment, svc):
        owner = obj.metadata.owner_references[0]
        assert (owner.kind, owner.name, owner.uid) == ("Gateway", "owned", gw["metadata"]["uid"])
    assert svc.spec.type == "LoadBalancer"
    assert [p.port for p in svc.spec.ports] == [80]
    assert deployment.spec.template.spec.containers[0].image.startswith(
        "gateway-harness/reference-proxy:"
    )


def test_other_controllers_parent_entries_survive(env: Env) -> None:
    env.gateway("shared", [{"name": "http", "port": 80, "protocol": "HTTP"}])
    env.route("shared", "shared", [{"backendRefs": [{"name": "nonexistent", "port": 8080}]}])
    wait_for("our parent entry", lambda: env.our_parent("shared"))
    foreign = {
        "parentRef": {"group": GROUP, "kind": "Gateway", "namespace": env.namespace, "name": "x"},
        "controllerName": "example.com/another-controller",
        "conditions": [
            {
                "type": "Accepted",
                "status": "True",
                "reason": "Accepted",
                "message": "",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
                "observedGeneration": 1,
            }
        ],
    }

    def add_foreign() -> bool:
        route = env.get("httproutes", "shared")
        route["status"]["parents"].append(foreign)
        try:
            env.custom.replace_namespaced_custom_object_status(
                GROUP, VERSION, env.namespace, "httproutes", "shared", route
            )
        except client.ApiException as exc:
            if exc.status == 409:
                return False
            raise
        return True

    wait_for("foreign parent written", add_foreign)
    env.custom.patch_namespaced_custom_object(
        GROUP, VERSION, env.namespace, "httproutes", "shared", {"spec": {"hostnames": ["a.b"]}}
    )

    def ours_at_generation_2() -> dict[str, Any] | None:
        parent = env.our_parent("shared")
        ok = parent and all(c["observedGeneration"] == 2 for c in parent["conditions"])
        return parent if ok else None

    wait_for("our parent entry at generation 2", ours_at_generation_2)
    parents = env.get("httproutes", "shared")["status"]["parents"]
    assert foreign in parents


def _node_ready(env: Env) -> bool:
    return any(
        c.type == "Ready" and c.status == "True"
        for node in env.core.list_node().items
        for c in node.status.conditions or ()
    )


def http_get(ip: str, path: str, host: str) -> tuple[int, dict[str, Any] | None]:
    """One request through the proxy (fresh connection); (status, echo JSON or None)."""
    request = urllib.request.Request(f"http://{ip}{path}", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except OSError:
        return 0, None


@pytest.fixture(scope="module")
def data_plane(env: Env) -> str:
    """An echo backend and a Gateway admitting routes from all namespaces; its address."""
    if not _node_ready(env):
        pytest.fail("the local cluster has no Ready node (node agent not running)")
    env.apps.create_namespaced_deployment(env.namespace, echo_deployment("echo", env.namespace, 1))
    env.core.create_namespaced_service(env.namespace, service("echo", env.namespace))
    env.core.create_namespaced_secret(env.namespace, tls_secret_body(env.namespace))
    env.gateway(
        "traffic",
        [
            {
                "name": "http",
                "port": 80,
                "protocol": "HTTP",
                "allowedRoutes": {"namespaces": {"from": "All"}},
            },
            {
                "name": "https",
                "port": 443,
                "protocol": "HTTPS",
                "hostname": "secure.example.com",
                "tls": {"certificateRefs": [{"name": "serving-cert"}]},
            },
        ],
    )

    def address() -> str | None:
        status = env.get("gateways", "traffic").get("status") or {}
        programmed = condition(status.get("conditions"), "Programmed")
        if programmed and programmed["status"] == "True" and status.get("addresses"):
            return str(status["addresses"][0]["value"])
        return None

    return wait_for("Gateway Programmed with an address", address, timeout=120)


def tls_secret_body(namespace: str) -> dict[str, Any]:
    """A fresh self-signed certificate for secure.example.com as a kubernetes.io/tls Secret."""
    cert, key = examples.self_signed_pem("secure.example.com")
    secret = examples.tls_secret("serving-cert", namespace, cert, key)
    return {k: v for k, v in secret.items() if k != "metadata"} | {
        "metadata": {"name": "serving-cert", "namespace": namespace}
    }


def served_certificate(ip: str, ca_pem: str) -> str | None:
    """GET / over TLS with SNI secure.example.com; the server's certificate (PEM) on a 200."""
    context = ssl.create_default_context(cadata=ca_pem)
    try:
        with (
            socket.create_connection((ip, 443), timeout=3) as raw,
            context.wrap_socket(raw, server_hostname="secure.example.com") as tls,
        ):
            tls.sendall(b"GET / HTTP/1.1\r\nHost: secure.example.com\r\nConnection: close\r\n\r\n")
            head = tls.recv(64)
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None
    if not head.startswith(b"HTTP/1.1 200") or der is None:
        return None
    return ssl.DER_cert_to_PEM_cert(der)


def consistently(
    ip: str, path: str, host: str, status: int, times: int = 3
) -> dict[str, Any] | None:
    """Wait until `times` consecutive requests answer `status` (upstream's consistency rule)."""
    streak: list[dict[str, Any] | None] = []

    def probe() -> bool:
        code, body = http_get(ip, path, host)
        if code == status:
            streak.append(body)
        else:
            streak.clear()
            time.sleep(0.1)
        return len(streak) >= times

    wait_for(f"{times} consecutive {status} for {host}{path}", probe, timeout=60)
    return streak[-1]


def test_traffic_reaches_a_backend_through_the_proxy(env: Env, data_plane: str) -> None:
    env.create(
        "httproutes",
        {
            "kind": "HTTPRoute",
            "metadata": {"name": "echo"},
            "spec": {
                "parentRefs": [{"name": "traffic"}],
                "hostnames": ["echo.example.com"],
                "rules": [{"backendRefs": [{"name": "echo", "port": 8080}]}],
            },
        },
    )
    body = consistently(data_plane, "/hello", "echo.example.com", 200)
    assert body is not None
    assert body["namespace"] == env.namespace
    assert body["pod"].startswith("echo-")
    assert body["path"] == "/hello"
    code, _ = http_get(data_plane, "/hello", "other.example.com")
    assert code == 404


def test_missing_backend_answers_500(env: Env, data_plane: str) -> None:
    env.create(
        "httproutes",
        {
            "kind": "HTTPRoute",
            "metadata": {"name": "broken"},
            "spec": {
                "parentRefs": [{"name": "traffic"}],
                "hostnames": ["broken.example.com"],
                "rules": [{"backendRefs": [{"name": "nonexistent", "port": 8080}]}],
            },
        },
    )
    consistently(data_plane, "/", "broken.example.com", 500)


def test_reference_grant_allows_and_its_deletion_revokes(env: Env, data_plane: str) -> None:
    other = f"{env.namespace}-apps"
    env.core.create_namespace({"metadata": {"name": other}})
    try:
        env.custom.create_namespaced_custom_object(
            GROUP,
            VERSION,
            other,
            "httproutes",
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "HTTPRoute",
                "metadata": {"name": "cross", "namespace": other},
                "spec": {
                    "parentRefs": [{"name": "traffic", "namespace": env.namespace}],
                    "hostnames": ["cross.example.com"],
                    "rules": [
                        {
                            "backendRefs": [
                                {"name": "echo", "namespace": env.namespace, "port": 8080}
                            ]
                        }
                    ],
                },
            },
        )
        consistently(data_plane, "/", "cross.example.com", 500)
        env.custom.create_namespaced_custom_object(
            GROUP,
            "v1beta1",
            env.namespace,
            "referencegrants",
            {
                "apiVersion": f"{GROUP}/v1beta1",
                "kind": "ReferenceGrant",
                "metadata": {"name": "cross", "namespace": env.namespace},
                "spec": {
                    "from": [{"group": GROUP, "kind": "HTTPRoute", "namespace": other}],
                    "to": [{"group": "", "kind": "Service", "name": "echo"}],
                },
            },
        )
        consistently(data_plane, "/", "cross.example.com", 200)
        env.custom.delete_namespaced_custom_object(
            GROUP, "v1beta1", env.namespace, "referencegrants", "cross"
        )
        consistently(data_plane, "/", "cross.example.com", 500)
    finally:
        env.core.delete_namespace(other)


def test_https_listener_serves_the_secret_and_follows_its_rotation(
    env: Env, data_plane: str
) -> None:
    env.create(
        "httproutes",
        {
            "kind": "HTTPRoute",
            "metadata": {"name": "secure"},
            "spec": {
                "parentRefs": [{"name": "traffic", "sectionName": "https"}],
                "rules": [{"backendRefs": [{"name": "echo", "port": 8080}]}],
            },
        },
    )
    first = env.core.read_namespaced_secret("serving-cert", env.namespace)
    first_pem = base64.b64decode(first.data["tls.crt"]).decode()
    wait_for(
        "HTTPS 200 with the Secret's certificate", lambda: served_certificate(data_plane, first_pem)
    )
    rotated = tls_secret_body(env.namespace)
    env.core.replace_namespaced_secret("serving-cert", env.namespace, rotated)
    rotated_pem = base64.b64decode(rotated["data"]["tls.crt"]).decode()
    served = wait_for(
        "HTTPS 200 with the rotated certificate",
        lambda: served_certificate(data_plane, rotated_pem),
    )
    assert ssl.PEM_cert_to_DER_cert(served) == ssl.PEM_cert_to_DER_cert(rotated_pem)
