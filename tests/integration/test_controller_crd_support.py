"""The advertised features against real CRDs: the cluster's, and the standard channel's."""

from __future__ import annotations

from typing import Any

import pytest

from harness.cluster.crds import DEFAULT_GATEWAY_API_VERSION, load_crd_documents
from reference_impl.controller.crd_support import read_crds, unserved_features
from reference_impl.controller.features import PROXY_SUPPORT, supported_features
from reference_impl.controller.kube_rest import KubeRest

pytestmark = [pytest.mark.integration]


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
