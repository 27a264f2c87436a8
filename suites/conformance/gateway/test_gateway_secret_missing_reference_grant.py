"""GatewaySecretMissingReferenceGrant: a cross-namespace Secret needs a ReferenceGrant."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition, ExpectedListener

HTTPS = ExpectedListener(
    "https", 0, ("HTTPRoute",), (Condition("ResolvedRefs", "False", "RefNotPermitted"),)
)


@scenario(
    "GatewaySecretMissingReferenceGrant",
    features={"Gateway", "ReferenceGrant"},
    manifest="test_gateway_secret_missing_reference_grant.yaml",
)
def test_gateway_secret_missing_reference_grant(gateway: GatewayHandle) -> None:
    gateway.other("gateway-secret-missing-reference-grant").must_have_listeners([HTTPS])
