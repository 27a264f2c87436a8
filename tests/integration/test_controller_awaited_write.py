"""A status computed while the controller's own write is still on its way back is not lost.

The controller's own status writes wake no reconcile. So when a newer status is computed for
an object whose last write has not come back through the watch yet, that write must wait for
the object's next version, and that version must wake the controller. Here the test plays the
watch: it decides when the store sees each version, so the race happens every time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from reference_impl.controller import examples
from reference_impl.controller.kube_rest import KubeRest
from reference_impl.controller.runner import RESOURCES, Controller, ControllerOptions

pytestmark = [pytest.mark.integration]

ROUTES = "/apis/gateway.networking.k8s.io/v1"


class _Case:
    """A controller of its own over a namespace of its own; the test feeds its store."""

    def __init__(self, kubeconfig: str) -> None:
        suffix = uuid.uuid4().hex[:8]
        self.namespace = f"awaited-{suffix}"
        self.class_name = f"awaited-{suffix}"
        controller_name = f"gateway-harness.dev/awaited-write-test-{suffix}"
        self.rest = KubeRest.from_kubeconfig(kubeconfig)
        self.controller = Controller(
            self.rest,
            ControllerOptions(
                controller_name=controller_name,
                gateway_class_names=frozenset({self.class_name}),
            ),
        )
        self.gateway_class = examples.gateway_class(self.class_name, controller=controller_name)

    def create(self, path: str, obj: dict[str, Any]) -> None:
        body = {k: v for k, v in obj.items() if k != "status"}
        meta = {k: v for k, v in obj["metadata"].items() if k in ("name", "namespace")}
        self.rest.request("POST", path, body={**body, "metadata": meta})

    def load(self, kind: str) -> dict[str, Any]:
        """Give the store what the API holds for one kind, as a fresh list would."""
        resource = next(r for r in RESOURCES if r.kind == kind)
        items = self.rest.request("GET", resource.collection_path).get("items") or []
        for item in items:
            item.setdefault("kind", kind)
            item.setdefault("apiVersion", resource.api_version)
        self.controller.store.replace(kind, items)
        return {item["metadata"].get("name"): item for item in items}

    def fetch(self, kind: str, plural: str, name: str) -> dict[str, Any]:
        """One object as the API holds it now, as a watch event would bring it."""
        path = f"{ROUTES}/namespaces/{self.namespace}/{plural}/{name}"
        obj: dict[str, Any] = self.rest.request("GET", path)
        obj.setdefault("kind", kind)
        return obj

    def route(self) -> dict[str, Any]:
        return self.fetch("HTTPRoute", "httproutes", "route")

    def resolved_refs(self) -> tuple[str, str] | None:
        for parent in (self.route().get("status") or {}).get("parents") or ():
            for cond in parent.get("conditions") or ():
                if cond["type"] == "ResolvedRefs":
                    return cond["status"], cond["reason"]
        return None


@pytest.fixture
def case(local_cluster: Any) -> Iterator[_Case]:
    made = _Case(str(local_cluster.kubeconfig))
    ns = made.namespace
    made.create("/api/v1/namespaces", examples.namespace(ns))
    try:
        made.create(f"{ROUTES}/gatewayclasses", made.gateway_class)
        yield made
    finally:
        made.controller.writer.close()
        made.rest.request("DELETE", f"/api/v1/namespaces/{ns}")
        made.rest.request("DELETE", f"{ROUTES}/gatewayclasses/{made.class_name}")


def test_a_status_computed_while_our_write_is_in_flight_is_written_when_it_returns(
    case: _Case,
) -> None:
    ns, store = case.namespace, case.controller.store
    case.create(
        f"{ROUTES}/namespaces/{ns}/gateways", examples.gateway("gw", ns, class_name=case.class_name)
    )
    case.create(f"/api/v1/namespaces/{ns}/services", examples.service("backend", ns))
    case.create(
        f"{ROUTES}/namespaces/{ns}/httproutes",
        examples.http_route("route", ns, parents=[{"name": "gw"}]),
    )
    for kind in ("Namespace", "GatewayClass", "Gateway", "Service", "HTTPRoute"):
        case.load(kind)
    case.controller.reconcile_once()  # writes the first statuses against what the store holds
    assert case.resolved_refs() == ("True", "ResolvedRefs")
    # Our write of the Gateway's status comes back: a status-only change wakes nobody.
    store.changed.clear()
    store.upsert("Gateway", case.fetch("Gateway", "gateways", "gw"))
    assert not store.changed.is_set(), "the Gateway's own status write woke the controller"

    # The backend goes away before the watch brought the route's write back: the store still
    # holds the route's version from before that write.
    case.rest.request("DELETE", f"/api/v1/namespaces/{ns}/services/backend")
    case.load("Service")
    case.controller.reconcile_once()
    assert case.resolved_refs() == ("True", "ResolvedRefs"), "written against a stale version"

    # The route's write comes back, status-only too: here a newer status waits for it.
    store.changed.clear()
    store.upsert("HTTPRoute", case.route())
    assert store.changed.is_set(), "the waiting status write was never woken"
    case.controller.reconcile_once()
    assert case.resolved_refs() == ("False", "BackendNotFound")
