"""HTTPRoutePartiallyInvalidViaInvalidReferenceGrant: one refused backend spares its siblings."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRoutePartiallyInvalidViaInvalidReferenceGrant",
    features={"Gateway", "HTTPRoute", "ReferenceGrant"},
    manifest="test_httproute_partially_invalid_via_invalid_reference_grant.yaml",
)
def test_httproute_partially_invalid_via_invalid_reference_grant(
    gateway: GatewayHandle, traffic: Traffic
) -> None:
    route = gateway.route("invalid-reference-grant")
    route.must_be_accepted()
    route.must_have_condition("ResolvedRefs", "False", "RefNotPermitted")
    traffic.get("/v2").must_get(500)
    traffic.get("/").must_be_served_by(
        "app-backend-v1", namespace="gateway-conformance-app-backend"
    )
