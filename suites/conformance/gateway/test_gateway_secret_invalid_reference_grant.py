"""GatewaySecretInvalidReferenceGrant: grants that miss the Secret in any field do not permit it."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition, ExpectedListener

HTTPS = ExpectedListener(
    "https", 0, ("HTTPRoute",), (Condition("ResolvedRefs", "False", "RefNotPermitted"),)
)


@scenario(
    "GatewaySecretInvalidReferenceGrant",
    features={"Gateway", "ReferenceGrant"},
    manifest="test_gateway_secret_invalid_reference_grant.yaml",
)
def test_gateway_secret_invalid_reference_grant(gateway: GatewayHandle) -> None:
    gateway.other("gateway-secret-invalid-reference-grant").must_have_listeners([HTTPS])
