"""ListenerSets through the reference controller on the real local cluster: status and traffic.

A ListenerSet adds a listener on a port of its own to a Gateway; the proxy must open that port
(Deployment and LoadBalancer Service) and route a ListenerSet-parented HTTPRoute there only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.nodeagent_helpers import echo_deployment, service
from tests.integration.test_reference_controller import (
    GROUP,
    VERSION,
    Env,
    condition,
    consistently,
    http_get,
    running_controller,
    wait_for,
)

pytestmark = [pytest.mark.integration]

LS_PORT = 8090


@pytest.fixture(scope="module")
def ls_env(local_cluster: Any) -> Iterator[Env]:
    """A controller instance of its own, its GatewayClass and namespace."""
    with running_controller(Env(local_cluster)) as environment:
        yield environment


def listener_set(env: Env, name: str, namespace: str, gateway: str, port: int) -> None:
    env.custom.create_namespaced_custom_object(
        GROUP,
        VERSION,
        namespace,
        "listenersets",
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "ListenerSet",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "parentRef": {"name": gateway, "namespace": env.namespace},
                "listeners": [
                    {
                        "name": "extra",
                        "port": port,
                        "protocol": "HTTP",
                        "hostname": "ls.example.com",
                    }
                ],
            },
        },
    )


def latest_conditions(env: Env, name: str, namespace: str) -> dict[str, tuple[str, str]] | None:
    """ListenerSet conditions by type, once every one is at the latest generation."""
    obj = env.custom.get_namespaced_custom_object(GROUP, VERSION, namespace, "listenersets", name)
    conds = (obj.get("status") or {}).get("conditions") or []
    generation = obj["metadata"]["generation"]
    if not conds or any(c.get("observedGeneration") != generation for c in conds):
        return None
    return {c["type"]: (c["status"], c["reason"]) for c in conds}


def gateway_with_listener_sets(env: Env, name: str) -> None:
    env.create(
        "gateways",
        {
            "kind": "Gateway",
            "metadata": {"name": name},
            "spec": {
                "gatewayClassName": env.class_name,
                "allowedListeners": {"namespaces": {"from": "Same"}},
                "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}],
            },
        },
    )


def test_listener_set_status_and_attached_count(ls_env: Env) -> None:
    env = ls_env
    other = f"{env.namespace}-other"
    env.core.create_namespace({"metadata": {"name": other}})
    try:
        gateway_with_listener_sets(env, "status")
        listener_set(env, "allowed", env.namespace, "status", LS_PORT)
        listener_set(env, "elsewhere", other, "status", LS_PORT)

        allowed = wait_for(
            "ListenerSet allowed Accepted",
            lambda: latest_conditions(env, "allowed", env.namespace),
        )
        assert allowed["Accepted"] == ("True", "Accepted")
        rejected = wait_for(
            "ListenerSet elsewhere reconciled", lambda: latest_conditions(env, "elsewhere", other)
        )
        assert rejected == {
            "Accepted": ("False", "NotAllowed"),
            "Programmed": ("False", "NotAllowed"),
        }
        count = wait_for(
            "attachedListenerSets",
            lambda: (env.get("gateways", "status").get("status") or {}).get("attachedListenerSets"),
        )
        assert count == 1
        entries = env.custom.get_namespaced_custom_object(
            GROUP, VERSION, env.namespace, "listenersets", "allowed"
        )["status"]["listeners"]
        assert [e["name"] for e in entries] == ["extra"]
        accepted = condition(entries[0]["conditions"], "Accepted")
        assert accepted is not None and accepted["status"] == "True"
        # The Gateway reports only its own listeners.
        gateway_listeners = env.get("gateways", "status")["status"]["listeners"]
        assert [e["name"] for e in gateway_listeners] == ["http"]
    finally:
        env.core.delete_namespace(other)


def test_traffic_through_a_listener_set_listener_on_its_own_port(ls_env: Env) -> None:
    env = ls_env
    env.apps.create_namespaced_deployment(env.namespace, echo_deployment("echo", env.namespace, 1))
    env.core.create_namespaced_service(env.namespace, service("echo", env.namespace))
    gateway_with_listener_sets(env, "traffic")
    listener_set(env, "extra-port", env.namespace, "traffic", LS_PORT)
    env.create(
        "httproutes",
        {
            "kind": "HTTPRoute",
            "metadata": {"name": "via-listener-set"},
            "spec": {
                "parentRefs": [{"group": GROUP, "kind": "ListenerSet", "name": "extra-port"}],
                "rules": [{"backendRefs": [{"name": "echo", "port": 8080}]}],
            },
        },
    )

    def programmed() -> str | None:
        conds = latest_conditions(env, "extra-port", env.namespace)
        status = env.get("gateways", "traffic").get("status") or {}
        if conds and conds.get("Programmed") == ("True", "Programmed") and status.get("addresses"):
            return str(status["addresses"][0]["value"])
        return None

    ip = wait_for("ListenerSet Programmed and a Gateway address", programmed, timeout=120)
    body = consistently(f"{ip}:{LS_PORT}", "/through-ls", "ls.example.com", 200)
    assert body is not None
    assert body["namespace"] == env.namespace
    assert body["pod"].startswith("echo-")
    # The route's parent is the ListenerSet: the Gateway's own listener does not serve it.
    code, _ = http_get(ip, "/through-ls", "ls.example.com")
    assert code == 404
    parents = env.get("httproutes", "via-listener-set")["status"]["parents"]
    ours = [p for p in parents if p["controllerName"] == env.controller_name]
    assert [p["parentRef"]["kind"] for p in ours] == ["ListenerSet"]
    assert ours[0]["parentRef"]["namespace"] == env.namespace
    service_ports = [
        p.port
        for p in env.core.list_namespaced_service(
            env.namespace, label_selector="gateway.networking.k8s.io/gateway-name=traffic"
        )
        .items[0]
        .spec.ports
    ]
    assert sorted(service_ports) == [80, LS_PORT]
