"""BackendTLSPolicyConflictResolution: of two policies on one target the older one wins."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig
from harness.conformance.traffic import Traffic
from harness.kube.status import Condition
from suites.conformance.backendtlspolicy.policy_status import ACCEPTED, policy_must_have

CONFLICTED = Condition("Accepted", "False", "Conflicted")
# (policies that must be Accepted, policy that must be Conflicted or None,
#  [(path, SNI the backend must see: the hostname of the policy in force)])
CASES = [
    (
        ["conflicted-without-section-name-1"],
        "conflicted-without-section-name-2",
        [("/backendtlspolicy-conflicted-without-section-name", "other.example.com")],
    ),
    (
        ["conflicted-with-section-name-1"],
        "conflicted-with-section-name-2",
        [("/backendtlspolicy-conflicted-with-section-name", "other.example.com")],
    ),
    (
        ["not-conflicted-with-section-name", "not-conflicted-without-section-name"],
        None,
        [
            ("/backendtlspolicy-not-conflicted-with-section-name", "other.example.com"),
            ("/backendtlspolicy-not-conflicted-without-section-name", "abc.example.com"),
        ],
    ),
]


@scenario(
    "BackendTLSPolicyConflictResolution",
    features={"Gateway", "HTTPRoute", "BackendTLSPolicy"},
    manifest="test_backendtlspolicy_conflict_resolution.yaml",
)
def test_backendtlspolicy_conflict_resolution(
    gateway: GatewayHandle, traffic: Traffic, timeouts: TimeoutConfig
) -> None:
    route = gateway.route("backendtlspolicy-conflict-resolution")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    timeout = timeouts.HTTPRouteMustHaveCondition
    for accepted, conflicted, requests in CASES:
        for policy in accepted:
            policy_must_have(gateway.api, policy, gateway.name, timeout, ACCEPTED)
        if conflicted:
            policy_must_have(gateway.api, conflicted, gateway.name, timeout, CONFLICTED)
        for path, sni in requests:
            traffic.get(path, host="abc.example.com").must_get(200, sni=sni)
