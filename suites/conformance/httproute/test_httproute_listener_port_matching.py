"""HTTPRouteListenerPortMatching: parentRef port (and sectionName) picks the listeners."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

# (listener whose port to send to, Host header, backend, or the status code)
CASES: list[tuple[str, str, str | int]] = [
    ("listener-1", "foo.com", "infra-backend-v1"),
    ("listener-2", "foo.com:8080", "infra-backend-v2"),
    ("listener-2", "bar.com:8080", "infra-backend-v2"),
    ("listener-4", "foo.com:8090", "infra-backend-v3"),
    # backend-v3 names listener-4 only, so bar.com on 8090 (listener-5) has no route.
    ("listener-4", "bar.com:8090", 404),
]


@scenario(
    "HTTPRouteListenerPortMatching",
    features={"Gateway", "HTTPRoute", "HTTPRouteParentRefPort"},
    manifest="test_httproute_listener_port_matching.yaml",
    gateway="httproute-listener-port-matching",
)
def test_httproute_listener_port_matching(gateway: GatewayHandle, traffic: Traffic) -> None:
    gateway.must_have_condition("Programmed", "True")
    for name in ("backend-v1", "backend-v2", "backend-v3"):
        route = gateway.route(name)
        route.must_be_accepted()
        route.must_have_resolved_refs()
    for listener, host, expected in CASES:
        request = traffic.at(gateway.address(listener)).get("/", host=host)
        if isinstance(expected, int):
            request.must_get(expected)
        else:
            request.must_be_served_by(expected)
