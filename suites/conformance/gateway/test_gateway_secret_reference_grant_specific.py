"""GatewaySecretReferenceGrantSpecific: a grant naming the Secret permits the reference."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition, ExpectedListener

HTTPS = ExpectedListener(
    "https",
    0,
    ("HTTPRoute",),
    (Condition("Programmed", "True", "Programmed"), Condition("ResolvedRefs", "True")),
)


@scenario(
    "GatewaySecretReferenceGrantSpecific",
    features={"Gateway", "ReferenceGrant"},
    manifest="test_gateway_secret_reference_grant_specific.yaml",
)
def test_gateway_secret_reference_grant_specific(gateway: GatewayHandle) -> None:
    gateway.other("gateway-secret-reference-grant-specific").must_have_listeners([HTTPS])
