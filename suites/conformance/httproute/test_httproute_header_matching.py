"""HTTPRouteHeaderMatching: exact header matches, AND within a match, OR across matches."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

ROUTED = [
    ({"Version": "one"}, "infra-backend-v1"),
    ({"Version": "two"}, "infra-backend-v2"),
    ({"Version": "two", "Color": "orange"}, "infra-backend-v1"),
    ({"Version": "two", "Color": "blue"}, "infra-backend-v2"),
    ({"Color": "blue"}, "infra-backend-v1"),
    ({"Color": "green"}, "infra-backend-v1"),
    ({"Color": "red"}, "infra-backend-v2"),
    ({"Color": "yellow"}, "infra-backend-v2"),
]
UNROUTED = [{"Color": "orange"}, {"Some-Other-Header": "one"}, {"Color": "purple"}]


@scenario(
    "HTTPRouteHeaderMatching",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_header_matching.yaml",
)
def test_httproute_header_matching(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("header-matching")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    for headers, backend in ROUTED:
        traffic.get("/", headers=headers).must_be_served_by(backend)
    for headers in UNROUTED:
        traffic.get("/", headers=headers).must_get(404)
