"""HTTPRouteCrossNamespace: a route attaches to a Gateway in another namespace by selector."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

WEB_BACKEND = "gateway-conformance-web-backend"


@scenario(
    "HTTPRouteCrossNamespace",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_cross_namespace.yaml",
    gateway="backend-namespaces",
)
def test_httproute_cross_namespace(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("cross-namespace", namespace=WEB_BACKEND)
    route.must_be_accepted()
    route.must_have_resolved_refs()
    traffic.get("/").must_be_served_by("web-backend", namespace=WEB_BACKEND)
