"""HTTPRouteMultipleGateways: one route with two parentRefs serves through both Gateways."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

SHARED = "multiple-gateways-shared-route"
# Gateway → (its dedicated route, the backend of that route)
DEDICATED = {
    "same-namespace": ("same-namespace-dedicated-route", "infra-backend-v2"),
    "all-namespaces": ("all-namespaces-dedicated-route", "infra-backend-v3"),
}


@scenario(
    "HTTPRouteMultipleGateways",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_multiple_gateways.yaml",
)
def test_httproute_multiple_gateways(gateway: GatewayHandle, traffic: Traffic) -> None:
    for name, (dedicated, backend) in DEDICATED.items():
        parent = gateway.other(name)
        parent.route(SHARED).must_be_accepted()
        parent.route(dedicated).must_be_accepted()
        at = traffic.at(parent.address())
        at.get("/shared").must_be_served_by("infra-backend-v1")
        at.get("/").must_be_served_by(backend)
