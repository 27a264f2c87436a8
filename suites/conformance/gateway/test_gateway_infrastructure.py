"""GatewayInfrastructure: infrastructure labels/annotations reach what the Gateway creates."""

import time
from typing import Any

from kubernetes import client

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.scenario import GatewayHandle, scenario
from suites.conformance.gateway.latest_conditions import must_have_latest_conditions

NAME = "gateway-with-infrastructure-metadata"
GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"


def generated_objects(api: client.ApiClient, namespace: str, timeout: float, poll: float) -> Any:
    """ServiceAccounts, Pods and Services labelled with the Gateway's name, once any exist."""
    core = client.CoreV1Api(api)
    selector = f"{GATEWAY_NAME_LABEL}={NAME}"
    deadline = time.monotonic() + timeout
    while True:
        found = {
            "ServiceAccount": core.list_namespaced_service_account(
                namespace, label_selector=selector
            ).items,
            "Pod": core.list_namespaced_pod(namespace, label_selector=selector).items,
            "Service": core.list_namespaced_service(namespace, label_selector=selector).items,
        }
        if any(found.values()):
            return found
        assert time.monotonic() < deadline, (
            f"no ServiceAccount, Pod or Service labelled {selector} in {namespace} "
            f"within {timeout:g}s"
        )
        time.sleep(poll)


def _missing(wanted: dict[str, str], have: dict[str, str] | None) -> dict[str, str]:
    have = have or {}
    return {key: value for key, value in wanted.items() if have.get(key) != value}


@scenario(
    "GatewayInfrastructure",
    features={"Gateway", "GatewayInfrastructurePropagation"},
    manifest="test_gateway_infrastructure.yaml",
    provisional=True,
)
def test_gateway_infrastructure(gateway: GatewayHandle) -> None:
    api, ns, timeouts = gateway.api, gateway.namespace, gateway.timeouts
    namespaces_ready(api, [ns], timeouts)
    current = must_have_latest_conditions(api, "Gateway", ns, NAME, timeouts)
    gateway.other(NAME).must_have_condition("Accepted", "True")
    infrastructure = current["spec"]["infrastructure"]
    labels, annotations = infrastructure["labels"], infrastructure["annotations"]

    found = generated_objects(api, ns, timeouts.DefaultTestTimeout, timeouts.DefaultPollInterval)
    # As upstream: the first object of each kind found must carry every label and annotation.
    for kind, items in found.items():
        if not items:
            continue
        meta = items[0].metadata
        where = f"{kind} {ns}/{meta.name}"
        assert not _missing(labels, meta.labels), f"{where} lacks labels {labels}: {meta.labels}"
        assert not _missing(annotations, meta.annotations), (
            f"{where} lacks annotations {annotations}: {meta.annotations}"
        )
