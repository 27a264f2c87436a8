"""HTTPRouteWeight: traffic is split by backendRef weight; weight 0 gets nothing."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

WEIGHTS = {"infra-backend-v1": 70.0, "infra-backend-v2": 30.0, "infra-backend-v3": 0.0}


@scenario(
    "HTTPRouteWeight",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_weight.yaml",
)
def test_httproute_weight(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("weighted-backends")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    traffic.get("/").must_get(200)
    seen = traffic.get("/").must_be_distributed(WEIGHTS, tolerance=0.05, count=500)
    # Upstream counts any answer from a weight-0 backend as a failure, not as noise
    # within the tolerance; the framework's tolerance check alone would let it pass.
    assert seen.get("infra-backend-v3", 0) == 0, f"weight-0 backend got traffic: {seen}"
