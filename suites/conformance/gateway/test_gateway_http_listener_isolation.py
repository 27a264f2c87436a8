"""GatewayHTTPListenerIsolation: a request is served only by its most specific listener."""

from harness.conformance.base_resources import namespaces_ready
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

SECTIONS = [
    "empty-hostname",
    "wildcard-example-com",
    "wildcard-foo-example-com",
    "abc-foo-example-com",
]
# Host → the one listener (and so route path) that must serve it; every other path is a 404.
OWNER = {
    "bar.com": "empty-hostname",
    "bar.example.com": "wildcard-example-com",
    "bar.foo.example.com": "wildcard-foo-example-com",
    "abc.foo.example.com": "abc-foo-example-com",
}
GATEWAYS = {
    "http-listener-isolation": "",
    "http-listener-isolation-with-hostname-intersection": "-with-hostname-intersection",
}


@scenario(
    "GatewayHTTPListenerIsolation",
    features={"Gateway", "GatewayHTTPListenerIsolation", "HTTPRoute"},
    manifest=[
        "test_gateway_http_listener_isolation.yaml",
        "test_gateway_http_listener_isolation_with_hostname_intersection.yaml",
    ],
)
def test_gateway_http_listener_isolation(gateway: GatewayHandle, traffic: Traffic) -> None:
    namespaces_ready(gateway.api, [gateway.namespace], gateway.timeouts)
    for name, suffix in GATEWAYS.items():
        isolated = gateway.other(name)
        for section in SECTIONS:
            route = isolated.route(f"attaches-to-{section}{suffix}")
            route.must_be_accepted()
            route.must_have_resolved_refs()
        at = traffic.at(isolated.address())
        for host, owner in OWNER.items():
            for section in SECTIONS:
                request = at.get(f"/{section}", host=host)
                if section == owner:
                    request.must_be_served_by("infra-backend-v1")
                else:
                    request.must_get(404)
