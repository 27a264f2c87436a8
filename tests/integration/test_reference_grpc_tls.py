"""GRPCRoute, TLSRoute and BackendTLSPolicy statuses from the reference controller, for real.

The controller runs as its real entry point with a controller name and class of its own, with
the data plane it ships with (reference_impl.controller.features.PROXY_SUPPORT): GRPCRoute and
TLSRoute are not admitted by its listeners yet, and a BackendTLSPolicy is validated but not
accepted. Run on a cluster of its own with GWH_TEST_CLUSTER=grpctls.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reference_impl.controller import examples
from tests.integration.test_reference_controller import (
    GROUP,
    VERSION,
    Env,
    condition,
    running_controller,
    wait_for,
)

pytestmark = [pytest.mark.integration]


class GrpcTlsEnv(Env):
    """One controller process, its GatewayClass and a namespace for this module's objects."""

    def create_spec(self, plural: str, kind: str, name: str, spec: dict[str, Any]) -> None:
        self.create(plural, {"kind": kind, "metadata": {"name": name}, "spec": spec})

    def status(self, plural: str, name: str) -> dict[str, Any]:
        obj = self.custom.get_namespaced_custom_object(GROUP, VERSION, self.namespace, plural, name)
        return dict(obj.get("status") or {})

    def http_gateway(self, name: str) -> None:
        self.create_spec(
            "gateways",
            "Gateway",
            name,
            {
                "gatewayClassName": self.class_name,
                "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}],
            },
        )

    def our_condition(self, plural: str, name: str, list_key: str, type_: str) -> Any:
        entries = self.status(plural, name).get(list_key) or []
        ours = [e for e in entries if e.get("controllerName") == self.controller_name]
        return condition(ours[0]["conditions"], type_) if ours else None


@pytest.fixture(scope="module")
def env(local_cluster: Any) -> Iterator[GrpcTlsEnv]:
    with running_controller(GrpcTlsEnv(local_cluster)) as environment:
        yield environment


def test_grpc_route_with_a_missing_backend_is_accepted_with_unresolved_refs(
    env: GrpcTlsEnv,
) -> None:
    env.http_gateway("grpc-gw")
    env.create_spec(
        "grpcroutes",
        "GRPCRoute",
        "grpc",
        {
            "parentRefs": [{"name": "grpc-gw"}],
            "rules": [{"backendRefs": [{"name": "grpc-backend", "port": 8080}]}],
        },
    )
    accepted = wait_for(
        "GRPCRoute Accepted condition",
        lambda: env.our_condition("grpcroutes", "grpc", "parents", "Accepted"),
    )
    # The proxy serves GRPCRoute: the route is admitted, its missing Service is reported.
    assert (accepted["status"], accepted["reason"]) == ("True", "Accepted")
    resolved = env.our_condition("grpcroutes", "grpc", "parents", "ResolvedRefs")
    assert (resolved["status"], resolved["reason"]) == ("False", "BackendNotFound")

    def listener_with_route() -> Any:
        listeners = env.status("gateways", "grpc-gw").get("listeners") or []
        return listeners[0] if listeners and listeners[0]["attachedRoutes"] == 1 else None

    listener = wait_for("the listener to count the GRPCRoute", listener_with_route)
    assert sorted(k["kind"] for k in listener["supportedKinds"]) == ["GRPCRoute", "HTTPRoute"]


def test_tls_route_on_http_listener_is_not_allowed(env: GrpcTlsEnv) -> None:
    env.http_gateway("tls-gw")
    env.create_spec(
        "tlsroutes",
        "TLSRoute",
        "tls",
        {
            "parentRefs": [{"name": "tls-gw"}],
            "hostnames": ["abc.example.com"],
            "rules": [{"backendRefs": [{"name": "tls-backend", "port": 443}]}],
        },
    )
    accepted = wait_for(
        "TLSRoute Accepted condition",
        lambda: env.our_condition("tlsroutes", "tls", "parents", "Accepted"),
    )
    assert (accepted["status"], accepted["reason"]) == ("False", "NotAllowedByListeners")
    assert accepted["observedGeneration"] == 1


def test_backend_tls_policy_reports_a_missing_ca_then_its_arrival(env: GrpcTlsEnv) -> None:
    env.core.create_namespaced_service(
        env.namespace,
        {
            "metadata": {"name": "secure-backend"},
            "spec": {"ports": [{"name": "https", "port": 443, "targetPort": 8443}]},
        },
    )
    env.http_gateway("btls-gw")
    env.create_spec(
        "httproutes",
        "HTTPRoute",
        "to-secure",
        {
            "parentRefs": [{"name": "btls-gw"}],
            "rules": [{"backendRefs": [{"name": "secure-backend", "port": 443}]}],
        },
    )
    env.create_spec(
        "backendtlspolicies",
        "BackendTLSPolicy",
        "secure",
        {
            "targetRefs": [{"group": "", "kind": "Service", "name": "secure-backend"}],
            "validation": {
                "caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "backend-ca"}],
                "hostname": "abc.example.com",
            },
        },
    )

    def policy_condition(type_: str) -> Any:
        return env.our_condition("backendtlspolicies", "secure", "ancestors", type_)

    accepted = wait_for("BackendTLSPolicy Accepted", lambda: policy_condition("Accepted"))
    assert (accepted["status"], accepted["reason"]) == ("False", "NoValidCACertificate")
    resolved = policy_condition("ResolvedRefs")
    assert (resolved["status"], resolved["reason"]) == ("False", "InvalidCACertificateRef")
    ancestors = env.status("backendtlspolicies", "secure")["ancestors"]
    assert ancestors[0]["ancestorRef"]["name"] == "btls-gw"

    ca_pem, _ = examples.self_signed_pem("ca.example.com")
    env.core.create_namespaced_config_map(
        env.namespace, {"metadata": {"name": "backend-ca"}, "data": {"ca.crt": ca_pem}}
    )

    def resolved_now() -> Any:
        cond = policy_condition("ResolvedRefs")
        return cond if cond and cond["status"] == "True" else None

    wait_for("ResolvedRefs=True once the ConfigMap exists", resolved_now)
    accepted = policy_condition("Accepted")
    # The proxy originates TLS to backends: once the CA exists the policy is Accepted.
    assert (accepted["status"], accepted["reason"]) == ("True", "Accepted")
