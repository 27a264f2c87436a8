"""HTTPRouteInvalidReferenceGrant: grants that miss the reference in any field do not count."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRouteInvalidReferenceGrant",
    features={"Gateway", "HTTPRoute", "ReferenceGrant"},
    manifest="test_httproute_invalid_reference_grant.yaml",
)
def test_httproute_invalid_reference_grant(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("reference-grant")
    route.must_be_accepted()
    route.must_have_condition("ResolvedRefs", "False", "RefNotPermitted")
    traffic.get("/").must_get(500)
