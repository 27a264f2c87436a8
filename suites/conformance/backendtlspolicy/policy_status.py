"""BackendTLSPolicy status checks (upstream's BackendTLSPolicyMustHaveCondition).

The framework's status helpers cover routes and Gateways; a policy reports per
ancestor (``status.ancestors[].ancestorRef``), so this module adds that one check.
"""

from __future__ import annotations

from typing import Any

from harness.kube.status import Condition, StatusExpectation, stale_conditions
from harness.kube.waiting import Obj, wait_for

POLICY_KIND = "gateway.networking.k8s.io/v1/BackendTLSPolicy"
ACCEPTED = Condition("Accepted", "True", "Accepted")
RESOLVED = Condition("ResolvedRefs", "True", "ResolvedRefs")
NO_VALID_CA = Condition("Accepted", "False", "NoValidCACertificate")


class AncestorHasCondition(StatusExpectation):
    """Every ancestor's conditions are current; the Gateway's ancestor entry has ``condition``."""

    def __init__(self, gateway: str, gateway_namespace: str, condition: Condition) -> None:
        self.gateway, self.gateway_namespace, self.condition = gateway, gateway_namespace, condition
        self.text = f"ancestor {gateway_namespace}/{gateway} has condition {condition}"

    def check(self, obj: Obj) -> str | None:
        ancestors = obj.get("status", {}).get("ancestors") or []
        if not ancestors:
            return "status.ancestors is empty"
        seen = []
        for ancestor in ancestors:
            conditions = ancestor.get("conditions") or []
            if stale := stale_conditions(obj, conditions):
                return stale
            ref = ancestor.get("ancestorRef") or {}
            if ref.get("name") != self.gateway:
                continue
            if ref.get("namespace") not in (None, self.gateway_namespace):
                continue
            if self.condition.found_in(conditions):
                return None
            seen.append(
                [f"{c.get('type')}={c.get('status')}/{c.get('reason')}" for c in conditions]
            )
        if not seen:
            return f"no ancestor entry for Gateway {self.gateway_namespace}/{self.gateway}"
        return f"ancestor conditions {seen} lack {self.condition}"


def policy_must_have(
    api: Any,
    policy: str,
    gateway: str,
    timeout: float,
    *conditions: Condition,
    namespace: str = "gateway-conformance-infra",
) -> Obj:
    """Wait until the policy's ancestor entry for ``gateway`` has each condition, in turn."""
    obj: Obj | None = None
    for condition in conditions:
        obj = wait_for(
            api,
            POLICY_KIND,
            namespace,
            policy,
            AncestorHasCondition(gateway, namespace, condition),
            timeout,
        )
    assert obj is not None, f"BackendTLSPolicy {namespace}/{policy}: no condition was asked for"
    return obj
