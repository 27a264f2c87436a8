"""HTTPRouteListenerHostnameMatching: the most specific listener hostname picks the route."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

ROUTED = [
    ("bar.com", "infra-backend-v1"),
    ("foo.bar.com", "infra-backend-v2"),
    ("baz.bar.com", "infra-backend-v3"),
    ("boo.bar.com", "infra-backend-v3"),
    ("multiple.prefixes.bar.com", "infra-backend-v3"),
    ("multiple.prefixes.foo.com", "infra-backend-v3"),
]
UNROUTED = ["foo.com", "no.matching.host"]


@scenario(
    "HTTPRouteListenerHostnameMatching",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_listener_hostname_matching.yaml",
    gateway="httproute-listener-hostname-matching",
)
def test_httproute_listener_hostname_matching(gateway: GatewayHandle, traffic: Traffic) -> None:
    for name in ("backend-v1", "backend-v2", "backend-v3"):
        route = gateway.route(name)
        route.must_be_accepted()
        route.must_have_resolved_refs()
    for host, backend in ROUTED:
        traffic.get("/", host=host).must_be_served_by(backend)
    for host in UNROUTED:
        traffic.get("/", host=host).must_get(404)
