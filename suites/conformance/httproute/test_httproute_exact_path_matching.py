"""HTTPRouteExactPathMatching: Exact path matches neither prefixes nor case variants."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRouteExactPathMatching",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_exact_path_matching.yaml",
)
def test_httproute_exact_path_matching(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("exact-matching")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    traffic.get("/one").must_be_served_by("infra-backend-v1")
    traffic.get("/two").must_be_served_by("infra-backend-v2")
    for path in ("/", "/one/example", "/two/", "/Two"):
        traffic.get(path).must_get(404)
