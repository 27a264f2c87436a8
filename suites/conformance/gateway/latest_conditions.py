"""Waits for "conditions at the latest generation", which the scenario handles do not offer."""

from __future__ import annotations

from kubernetes import client

from harness.conformance.timeouts import TimeoutConfig
from harness.kube import status as st
from harness.kube.waiting import Obj, wait_for

GATEWAY_API = "gateway.networking.k8s.io/v1"


def must_have_latest_conditions(
    api: client.ApiClient, kind: str, namespace: str, name: str, timeouts: TimeoutConfig
) -> Obj:
    """*MustHaveLatestConditions for a Gateway API ``kind``; an empty list counts as not yet."""
    obj = wait_for(
        api,
        f"{GATEWAY_API}/{kind}",
        namespace,
        name,
        st.has_latest_conditions(),
        timeouts.LatestObservedGenerationSet,
    )
    assert obj is not None
    return obj


def generation(obj: Obj) -> int:
    return int(obj["metadata"]["generation"])
