"""GatewayWithAttachedRoutesWithPort8080: a sectionName binds the route to one listener only."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition, ExpectedListener

READY = (Condition("Accepted", "True"), Condition("ResolvedRefs", "True"))


@scenario(
    "GatewayWithAttachedRoutesWithPort8080",
    features={"Gateway", "GatewayPort8080", "HTTPRoute"},
    manifest="test_gateway_with_attached_routes_with_port8080.yaml",
)
def test_gateway_with_attached_routes_with_port8080(gateway: GatewayHandle) -> None:
    gateway.other("gateway-with-two-listeners-and-one-attached-route").must_have_listeners(
        [
            ExpectedListener("http-unattached", 0, ("HTTPRoute",), READY),
            ExpectedListener("http", 1, ("HTTPRoute",), READY),
        ]
    )
