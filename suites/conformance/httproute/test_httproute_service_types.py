"""HTTPRouteServiceTypes: headless Services and hand-made EndpointSlices are routable."""

import ipaddress
from typing import Any

from kubernetes import client

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic
from harness.kube.patch import merge_patch

MANUAL = ["manual-endpointslices", "headless-manual-endpointslices"]
PATHS = [*MANUAL, "headless"]
FAMILIES = {"ip4": 4, "ip6": 6}


def backend_pods(api: client.ApiClient, namespace: str, deployment: str) -> list[Any]:
    """The pods of a Deployment, found through its own selector."""
    found = client.AppsV1Api(api).read_namespaced_deployment(deployment, namespace)
    labels = found.spec.selector.match_labels or {}
    selector = ",".join(f"{key}={value}" for key, value in labels.items())
    pods = client.CoreV1Api(api).list_namespaced_pod(namespace, label_selector=selector).items
    assert pods, f"Deployment {namespace}/{deployment} has no pods"
    return list(pods)


def endpoints_of(pods: list[Any], version: int) -> list[dict[str, Any]]:
    """One ready endpoint per pod IP of this IP version, pointing back at its pod."""
    endpoints = []
    for pod in pods:
        for pod_ip in pod.status.pod_ips or []:
            if ipaddress.ip_address(pod_ip.ip).version != version:
                continue
            endpoints.append(
                {
                    "addresses": [pod_ip.ip],
                    "conditions": {"ready": True, "serving": True, "terminating": False},
                    "nodeName": pod.spec.node_name,
                    "targetRef": {
                        "kind": "Pod",
                        "name": pod.metadata.name,
                        "namespace": pod.metadata.namespace,
                        "uid": pod.metadata.uid,
                    },
                }
            )
    return endpoints


@scenario(
    "HTTPRouteServiceTypes",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_service_types.yaml",
)
def test_httproute_service_types(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("service-types")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    pods = backend_pods(gateway.api, gateway.namespace, "infra-backend-v1")
    for suffix, version in FAMILIES.items():
        endpoints = endpoints_of(pods, version)
        if not endpoints:
            continue  # a single-stack cluster leaves the other family's slice empty
        for prefix in MANUAL:
            merge_patch(
                gateway.api,
                "discovery.k8s.io/v1/EndpointSlice",
                gateway.namespace,
                f"{prefix}-{suffix}",
                {"endpoints": endpoints},
            )
    for path in PATHS:
        traffic.get(f"/{path}").must_be_served_by("infra-backend-v1")
