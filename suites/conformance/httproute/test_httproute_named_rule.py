"""HTTPRouteNamedRule: a rule with a name is accepted and routed like an unnamed one."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRouteNamedRule",
    features={"Gateway", "HTTPRoute", "HTTPRouteNamedRouteRule"},
    manifest="test_httproute_named_rule.yaml",
    provisional=True,
)
def test_httproute_named_rule(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("http-named-rules")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    # Upstream asks only for a 200 from the test namespace; the backends are checked
    # too, since each rule has exactly one.
    traffic.get("/named").must_be_served_by("infra-backend-v1")
    traffic.get("/unnamed").must_be_served_by("infra-backend-v2")
