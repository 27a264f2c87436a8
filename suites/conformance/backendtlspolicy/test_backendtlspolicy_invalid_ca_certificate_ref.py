"""BackendTLSPolicyInvalidCACertificateRef: a missing or empty CA makes the policy invalid."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig
from harness.conformance.traffic import Traffic
from harness.kube.status import Condition
from suites.conformance.backendtlspolicy.policy_status import NO_VALID_CA, policy_must_have

INVALID_REF = Condition("ResolvedRefs", "False", "InvalidCACertificateRef")


@scenario(
    "BackendTLSPolicyInvalidCACertificateRef",
    features={"Gateway", "HTTPRoute", "BackendTLSPolicy"},
    manifest="test_backendtlspolicy_invalid_ca_certificate_ref.yaml",
)
def test_backendtlspolicy_invalid_ca_certificate_ref(
    gateway: GatewayHandle, traffic: Traffic, timeouts: TimeoutConfig
) -> None:
    gateway.route("backendtlspolicy-invalid-ca-certificate-ref").must_be_accepted()
    for policy in ("nonexistent-ca-certificate-ref", "malformed-ca-certificate-ref"):
        policy_must_have(
            gateway.api,
            policy,
            gateway.name,
            timeouts.HTTPRouteMustHaveCondition,
            NO_VALID_CA,
            INVALID_REF,
        )
        # No valid CA means no way to trust the backend: the Gateway must answer 5xx.
        traffic.get(f"/backendtlspolicy-{policy}", host="abc.example.com").must_get(500, 502, 503)
