"""GatewayInvalidRouteKind: unknown allowed kinds are InvalidRouteKinds, known ones kept."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition, ExpectedListener

INVALID_KINDS = (Condition("ResolvedRefs", "False", "InvalidRouteKinds"),)


@scenario(
    "GatewayInvalidRouteKind",
    features={"Gateway"},
    manifest="test_gateway_invalid_route_kind.yaml",
)
def test_gateway_invalid_route_kind(gateway: GatewayHandle) -> None:
    # Only an invalid kind: supportedKinds must be empty.
    gateway.other("gateway-only-invalid-route-kind").must_have_listeners(
        [ExpectedListener("http", 0, (), INVALID_KINDS)]
    )
    # Mixed: the valid kind stays in supportedKinds, the condition still flags the invalid one.
    gateway.other("gateway-supported-and-invalid-route-kind").must_have_listeners(
        [ExpectedListener("http", 0, ("HTTPRoute",), INVALID_KINDS)]
    )
