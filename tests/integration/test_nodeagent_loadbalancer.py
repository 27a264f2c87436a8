"""LoadBalancer Services get an address from the pool that answers; deleting frees it."""

from __future__ import annotations

import ipaddress
import urllib.error
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from tests.integration.nodeagent_helpers import (
    create_namespace,
    echo_deployment,
    get_json,
    ready_pods,
    service,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.netns]


@pytest.fixture
def namespace(local_cluster: Any) -> Iterator[str]:
    core = client.CoreV1Api(local_cluster.api_client())
    name = f"na-lb-{uuid.uuid4().hex[:8]}"
    create_namespace(core, name)
    yield name
    core.delete_namespace(name)


def _lb_ip(core: client.CoreV1Api, namespace: str, name: str) -> str | None:
    svc = core.read_namespaced_service(name, namespace)
    ingress = (svc.status.load_balancer and svc.status.load_balancer.ingress) or []
    return ingress[0].ip if ingress else None


def _refused(url: str) -> bool:
    try:
        get_json(url, timeout=2)
    except (urllib.error.URLError, ConnectionError):
        return True
    return False


def test_load_balancer_address_answers_and_is_freed(local_cluster: Any, namespace: str) -> None:
    api = local_cluster.api_client()
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    pool = ipaddress.ip_network(local_cluster.state.network.lb_pool)
    apps.create_namespaced_deployment(namespace, echo_deployment("web", namespace, 2))
    core.create_namespaced_service(namespace, service("web", namespace, lb=True))

    ip = wait_for("a load-balancer address", lambda: _lb_ip(core, namespace, "web"), timeout=30)
    assert ipaddress.ip_address(ip) in pool
    pods = wait_for(
        "2 Ready pods",
        lambda: (p := ready_pods(core, namespace, "app=web")) and len(p) == 2 and p,
        timeout=90,
    )
    names = {p.metadata.name for p in pods}

    def answered() -> dict[str, Any] | None:
        try:
            return get_json(f"http://{ip}:8080/via-lb")
        except (urllib.error.URLError, ConnectionError):
            return None

    body = wait_for("an answer through the load-balancer address", answered, timeout=30)
    assert body["pod"] in names and body["namespace"] == namespace
    # The ClusterIP is served the same way.
    cluster_ip = core.read_namespaced_service("web", namespace).spec.cluster_ip
    assert get_json(f"http://{cluster_ip}:8080/via-cluster-ip")["pod"] in names

    core.delete_namespaced_service("web", namespace)
    wait_for("the freed address to stop answering", lambda: _refused(f"http://{ip}:8080/"), 30)

    # A new LoadBalancer Service gets an address again; changing its type releases it.
    core.create_namespaced_service(namespace, service("web", namespace, lb=True))
    again = wait_for("a new address", lambda: _lb_ip(core, namespace, "web"), timeout=30)
    assert ipaddress.ip_address(again) in pool
    core.patch_namespaced_service("web", namespace, {"spec": {"type": "ClusterIP"}})
    wait_for(
        "the address to be released when the type changes",
        lambda: _lb_ip(core, namespace, "web") is None,
        timeout=30,
    )
