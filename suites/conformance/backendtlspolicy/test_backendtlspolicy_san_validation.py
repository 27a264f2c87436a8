"""BackendTLSPolicySANValidation: subjectAltNames replace the hostname check of the backend."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig
from harness.conformance.traffic import Traffic
from suites.conformance.backendtlspolicy.policy_status import ACCEPTED, policy_must_have

HOST = "abc.example.com"
# policy → whether a SAN it names is in tls-backend's certificate
POLICIES = {
    "san-dns": True,
    "san-dns-mismatch": False,
    "san-uri": True,
    "san-uri-mismatch": False,
    "multiple-sans": True,
    "multiple-mismatch-sans": False,
}


@scenario(
    "BackendTLSPolicySANValidation",
    features={"Gateway", "HTTPRoute", "BackendTLSPolicy", "BackendTLSPolicySANValidation"},
    manifest="test_backendtlspolicy_san_validation.yaml",
)
def test_backendtlspolicy_san_validation(
    gateway: GatewayHandle, traffic: Traffic, timeouts: TimeoutConfig
) -> None:
    route = gateway.route("backendtlspolicy-san-test")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    for policy, matches in POLICIES.items():
        policy_must_have(
            gateway.api, policy, gateway.name, timeouts.HTTPRouteMustHaveCondition, ACCEPTED
        )
        request = traffic.get(f"/backendtlspolicy-{policy}", host=HOST)
        if matches:
            # The Gateway still sends the policy's hostname as SNI.
            request.must_get(200, sni=HOST)
        else:
            request.must_fail()
