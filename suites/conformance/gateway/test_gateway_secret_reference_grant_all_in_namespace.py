"""GatewaySecretReferenceGrantAllInNamespace: a grant for all Secrets permits the reference."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition, ExpectedListener

HTTPS = ExpectedListener(
    "https",
    0,
    ("HTTPRoute",),
    (Condition("Programmed", "True", "Programmed"), Condition("ResolvedRefs", "True")),
)


@scenario(
    "GatewaySecretReferenceGrantAllInNamespace",
    features={"Gateway", "ReferenceGrant"},
    manifest="test_gateway_secret_reference_grant_all_in_namespace.yaml",
)
def test_gateway_secret_reference_grant_all_in_namespace(gateway: GatewayHandle) -> None:
    gateway.other("gateway-secret-reference-grant-all-in-namespace").must_have_listeners([HTTPS])
