"""The advertised features against real CRDs: the cluster's, the standard channel's, and
CRDs that change while the controller runs."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from harness.cluster.crds import DEFAULT_GATEWAY_API_VERSION, load_crd_documents
from reference_impl.controller import examples
from reference_impl.controller.crd_support import (
    CRD_PATH,
    PLURALS,
    CrdFeatures,
    read_crds,
    unserved_features,
)
from reference_impl.controller.features import PROXY_SUPPORT, supported_features
from reference_impl.controller.kube_rest import KubeApiError, KubeRest
from reference_impl.controller.runner import Controller, ControllerOptions

pytestmark = [pytest.mark.integration]
T = TypeVar("T")


def test_experimental_cluster_crds_express_every_implemented_feature(local_cluster: Any) -> None:
    rest = KubeRest.from_kubeconfig(str(local_cluster.kubeconfig))
    crds = read_crds(rest)
    assert crds is not None and {"httproutes", "gateways", "listenersets"} <= set(crds)
    assert unserved_features(crds, supported_features(PROXY_SUPPORT)) == set()


def test_standard_channel_crds_leave_out_the_experimental_retry_features() -> None:
    docs = load_crd_documents(DEFAULT_GATEWAY_API_VERSION, "standard", None)
    crds = {
        doc["spec"]["names"]["plural"]: doc
        for doc in docs
        if doc["kind"] == "CustomResourceDefinition"
    }
    missing = unserved_features(crds, supported_features(PROXY_SUPPORT))
    assert "HTTPRouteRetry" in missing
    assert not missing & {"HTTPRoute", "Gateway", "GRPCRoute", "HTTPRouteRequestTimeout"}


def _regrouped(channel: str, plural: str, group: str) -> dict[str, Any]:
    """The bundle's CRD of that plural, moved to a group of the test's own."""
    (crd,) = (
        doc
        for doc in load_crd_documents(DEFAULT_GATEWAY_API_VERSION, channel, None)
        if doc["kind"] == "CustomResourceDefinition" and doc["spec"]["names"]["plural"] == plural
    )
    return {
        "apiVersion": crd["apiVersion"],
        "kind": crd["kind"],
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {**crd["spec"], "group": group},
    }


@pytest.fixture
def crd_group(local_cluster: Any) -> Iterator[tuple[KubeRest, str]]:
    """A CRD group of the test's own: the cluster's Gateway API CRDs stay as they are."""
    rest = KubeRest.from_kubeconfig(str(local_cluster.kubeconfig))
    group = f"crd-{uuid.uuid4().hex[:8]}.gateway-harness.dev"
    try:
        yield rest, group
    finally:
        for plural in PLURALS:
            with contextlib.suppress(KubeApiError):
                rest.request("DELETE", f"{CRD_PATH}/{plural}.{group}")


def test_a_running_controller_advertises_what_changed_crds_express(
    crd_group: tuple[KubeRest, str],
) -> None:
    rest, group = crd_group
    rest.request("POST", CRD_PATH, body=_regrouped("standard", "httproutes", group))
    features = CrdFeatures(rest, {"HTTPRouteRetry", "HTTPRouteRequestTimeout", "GRPCRoute"}, group)
    assert features.refresh()
    assert features.unserved == {"HTTPRouteRetry", "GRPCRoute"}
    assert not features.refresh(), "nothing changed"

    suffix = group.split(".")[0]
    controller = Controller(
        rest,
        ControllerOptions(
            controller_name=f"gateway-harness.dev/{suffix}",
            gateway_class_names=frozenset({suffix}),
            crd_poll_seconds=0.2,
        ),
        features,
    )
    gateway_class = examples.gateway_class(suffix, controller=f"gateway-harness.dev/{suffix}")
    path = f"/apis/gateway.networking.k8s.io/v1/gatewayclasses/{suffix}"
    stop = threading.Event()
    rest.request(
        "POST", path.rsplit("/", 1)[0], body={**gateway_class, "metadata": {"name": suffix}}
    )
    runner = threading.Thread(target=controller.run, args=(stop,), daemon=True)
    runner.start()
    try:

        def advertised() -> set[str] | None:
            status = rest.request("GET", path).get("status") or {}
            found = status.get("supportedFeatures")
            return {f["name"] for f in found} if found else None

        assert "HTTPRouteRetry" not in _eventually(advertised, lambda seen: seen is not None)
        current = rest.request("GET", f"{CRD_PATH}/httproutes.{group}")
        upgraded = _regrouped("experimental", "httproutes", group)
        upgraded["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        rest.request("PUT", f"{CRD_PATH}/httproutes.{group}", body=upgraded)  # another channel
        # within the poll, well before the 30 s resync
        seen = _eventually(advertised, lambda seen: "HTTPRouteRetry" in (seen or ()))
        assert "GRPCRoute" not in seen, "no grpcroutes CRD in the group"
        assert features.unserved == {"GRPCRoute"}
    finally:
        stop.set()
        runner.join(timeout=15)
        with contextlib.suppress(KubeApiError):
            rest.request("DELETE", path)


def _eventually(probe: Callable[[], T], done: Callable[[T], bool], timeout: float = 15) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value) or time.monotonic() > deadline:
            assert done(value), f"still {value!r} after {timeout}s"
            return value
        time.sleep(0.2)
