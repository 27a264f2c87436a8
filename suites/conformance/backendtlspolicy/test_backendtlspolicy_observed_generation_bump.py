"""BackendTLSPolicyObservedGenerationBump: ancestor conditions follow a spec change."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig
from harness.kube.patch import merge_patch
from harness.kube.status import Condition
from suites.conformance.backendtlspolicy.policy_status import POLICY_KIND, policy_must_have

NS = "gateway-conformance-infra"
POLICY = "observed-generation-bump"
ACCEPTED_ANY_REASON = Condition("Accepted", "True")


@scenario(
    "BackendTLSPolicyObservedGenerationBump",
    features={"Gateway", "HTTPRoute", "BackendTLSPolicy"},
    manifest="test_backendtlspolicy_observed_generation_bump.yaml",
)
def test_backendtlspolicy_observed_generation_bump(
    gateway: GatewayHandle, timeouts: TimeoutConfig
) -> None:
    timeout = timeouts.LatestObservedGenerationSet
    # Both waits also require every ancestor condition at the object's generation.
    before = policy_must_have(gateway.api, POLICY, gateway.name, timeout, ACCEPTED_ANY_REASON)
    patch = {"spec": {"validation": {"hostname": "foo.example.com"}}}
    merge_patch(gateway.api, POLICY_KIND, NS, POLICY, patch)
    after = policy_must_have(gateway.api, POLICY, gateway.name, timeout, ACCEPTED_ANY_REASON)
    old, new = before["metadata"]["generation"], after["metadata"]["generation"]
    assert new != old, f"generation stayed {old} after the spec change"
