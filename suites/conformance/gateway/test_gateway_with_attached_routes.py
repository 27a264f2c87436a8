"""GatewayWithAttachedRoutes: attachedRoutes counts accepted routes, even on broken listeners."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.kube.status import Condition, ExpectedListener

READY = (Condition("Accepted", "True"), Condition("ResolvedRefs", "True"))
UNRESOLVED = (Condition("Programmed", "False"), Condition("ResolvedRefs", "False"))


@scenario(
    "GatewayWithAttachedRoutes",
    features={"Gateway", "HTTPRoute"},
    manifest="test_gateway_with_attached_routes.yaml",
)
def test_gateway_with_attached_routes(gateway: GatewayHandle) -> None:
    gateway.other("gateway-with-one-attached-route").must_have_listeners(
        [ExpectedListener("http", 1, ("HTTPRoute",), READY)]
    )

    two = gateway.other("gateway-with-two-attached-routes")
    two.must_have_listeners([ExpectedListener("http", 2, ("HTTPRoute",), READY)])
    # The third route's hostname misses the listener: not Accepted, so not counted.
    two.route("http-route-not-accepted").must_have_condition(
        "Accepted", "False", "NoMatchingListenerHostname"
    )

    unresolved = gateway.other("unresolved-gateway-with-one-attached-unresolved-route")
    unresolved.must_have_listeners([ExpectedListener("tls", 1, ("HTTPRoute",), UNRESOLVED)])
    unresolved.route("http-route-4").must_have_condition("ResolvedRefs", "False")
