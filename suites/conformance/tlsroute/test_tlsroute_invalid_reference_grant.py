"""TLSRouteInvalidReferenceGrant: a cross-namespace backend no grant permits is RefNotPermitted."""

from harness.conformance.scenario import GatewayHandle, scenario


@scenario(
    "TLSRouteInvalidReferenceGrant",
    features={"Gateway", "TLSRoute", "ReferenceGrant"},
    manifest="test_tlsroute_invalid_reference_grant.yaml",
    gateway="gateway-tlsroute-referencegrant",
)
def test_tlsroute_invalid_reference_grant(gateway: GatewayHandle) -> None:
    route = gateway.route("gateway-conformance-infra-test", kind="TLSRoute")
    # The route itself is fine and attaches; only its backend reference is refused.
    route.must_be_accepted()
    route.must_have_condition("ResolvedRefs", "False", "RefNotPermitted")
