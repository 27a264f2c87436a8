"""BackendTLSPolicyInvalidKind: a CA reference of an unknown kind makes the policy invalid."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig
from harness.conformance.traffic import Traffic
from harness.kube.status import Condition
from suites.conformance.backendtlspolicy.policy_status import NO_VALID_CA, policy_must_have


@scenario(
    "BackendTLSPolicyInvalidKind",
    features={"Gateway", "HTTPRoute", "BackendTLSPolicy"},
    manifest="test_backendtlspolicy_invalid_kind.yaml",
)
def test_backendtlspolicy_invalid_kind(
    gateway: GatewayHandle, traffic: Traffic, timeouts: TimeoutConfig
) -> None:
    gateway.route("backendtlspolicy-invalid-kind-test").must_be_accepted()
    policy_must_have(
        gateway.api,
        "invalid-kind",
        gateway.name,
        timeouts.HTTPRouteMustHaveCondition,
        NO_VALID_CA,
        Condition("ResolvedRefs", "False", "InvalidKind"),
    )
    traffic.get("/backendtlspolicy-invalid-kind", host="abc.example.com").must_get(500, 502, 503)
