"""HTTPRouteInvalidCrossNamespaceParentRef: a listener's namespace policy rejects the route."""

from harness.conformance.scenario import GatewayHandle, scenario


@scenario(
    "HTTPRouteInvalidCrossNamespaceParentRef",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_invalid_cross_namespace_parent_ref.yaml",
)
def test_httproute_invalid_cross_namespace_parent_ref(gateway: GatewayHandle) -> None:
    route = gateway.route(
        "invalid-cross-namespace-parent-ref", namespace="gateway-conformance-web-backend"
    )
    # Its backend is in its own namespace, so the references do resolve.
    route.must_have_resolved_refs()
    route.must_have_condition("Accepted", "False", "NotAllowedByListeners")
    route.must_not_be_accepted()
    gateway.must_have_zero_routes()
