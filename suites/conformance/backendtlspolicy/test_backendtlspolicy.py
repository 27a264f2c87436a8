"""BackendTLSPolicy: the Gateway validates the backend's certificate as the policy says."""

from typing import Any

from kubernetes import client

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig
from harness.conformance.traffic import Traffic, tls_for
from harness.kube.patch import merge_patch, read_config_map
from harness.kube.status import Condition
from suites.conformance.backendtlspolicy.policy_status import (
    ACCEPTED,
    NO_VALID_CA,
    POLICY_KIND,
    RESOLVED,
    policy_must_have,
)

NS = "gateway-conformance-infra"
HOST = "abc.example.com"
TEST_CA = "tls-checks-ca-certificate-reconcile-test"
INVALID_REF = Condition("ResolvedRefs", "False", "InvalidCACertificateRef")


def _reencrypt_from_https_listener(gateway: GatewayHandle, traffic: Traffic) -> None:
    https_gateway = gateway.other("same-namespace-with-https-listener")
    route = https_gateway.route("backendtlspolicy-reencrypt")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    timeout = gateway.timeouts.HTTPRouteMustHaveCondition
    policy_must_have(gateway.api, "normative-test", https_gateway.name, timeout, ACCEPTED, RESOLVED)
    tls = tls_for(gateway.api, "", secret="tls-validity-checks-certificate")
    https = traffic.at(https_gateway.address(), tls=tls)
    # Client SNI is the listener's name; the Gateway's SNI to the backend is the policy's.
    https.get("/backendtlspolicy", host="https-listener.org", sni="https-listener.org").must_get(
        200, namespace=NS, sni=HOST
    )


def _ca_config_map_follows_changes(gateway: GatewayHandle) -> None:
    api: Any = gateway.api
    core = client.CoreV1Api(api)
    timeout = gateway.timeouts.HTTPRouteMustHaveCondition
    policy = "reconcile-test"
    policy_must_have(api, policy, gateway.name, timeout, ACCEPTED, RESOLVED)
    ca = read_config_map(api, NS, "tls-checks-ca-certificate")
    # Point the policy at a ConfigMap that does not exist yet: the reference breaks.
    ref = {"group": "", "kind": "ConfigMap", "name": TEST_CA}
    merge_patch(
        api, POLICY_KIND, NS, policy, {"spec": {"validation": {"caCertificateRefs": [ref]}}}
    )
    policy_must_have(api, policy, gateway.name, timeout, NO_VALID_CA, INVALID_REF)
    body = client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name=TEST_CA, namespace=NS), data={"ca.crt": ca}
    )
    core.create_namespaced_config_map(NS, body)
    try:
        policy_must_have(api, policy, gateway.name, timeout, ACCEPTED, RESOLVED)
        core.patch_namespaced_config_map(TEST_CA, NS, {"data": {"ca.crt": ""}})
        policy_must_have(api, policy, gateway.name, timeout, NO_VALID_CA, INVALID_REF)
        core.patch_namespaced_config_map(TEST_CA, NS, {"data": {"ca.crt": ca}})
        policy_must_have(api, policy, gateway.name, timeout, ACCEPTED, RESOLVED)
    finally:
        core.delete_namespaced_config_map(TEST_CA, NS)


@scenario(
    "BackendTLSPolicy",
    features={"Gateway", "HTTPRoute", "BackendTLSPolicy"},
    manifest="test_backendtlspolicy.yaml",
)
def test_backendtlspolicy(
    gateway: GatewayHandle, traffic: Traffic, timeouts: TimeoutConfig
) -> None:
    _reencrypt_from_https_listener(gateway, traffic)

    route = gateway.route("backendtlspolicy")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    timeout = timeouts.HTTPRouteMustHaveCondition
    for policy in ("normative-test", "host-mismatch", "cert-mismatch"):
        # A wrong hostname or CA is no status error: the policy is valid, validation fails.
        policy_must_have(gateway.api, policy, gateway.name, timeout, ACCEPTED, RESOLVED)
    traffic.get("/backendtlspolicy", host=HOST).must_get(200, sni=HOST)
    # Upstream sends Host abc.example.org here, which no route matches, so any 404 would
    # pass; with the route's own host only the failed backend validation can fail it.
    traffic.get("/backendtlspolicy-host-mismatch", host=HOST).must_fail()
    traffic.get("/backendtlspolicy-cert-mismatch", host=HOST).must_fail()

    _ca_config_map_follows_changes(gateway)
