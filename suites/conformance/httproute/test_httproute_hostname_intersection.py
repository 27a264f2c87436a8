"""HTTPRouteHostnameIntersection: only hosts in both the listener and the route are routed."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic
from harness.kube.status import Condition, ExpectedListener
from suites.conformance.httproute.route_status import parent_with, route_must_have_parents

INTERSECTING = [
    "specific-host-matches-listener-specific-host",
    "specific-host-matches-listener-wildcard-host",
    "wildcard-host-matches-listener-specific-host",
    "wildcard-host-matches-listener-wildcard-host",
]
# (Host, path, Deployment that must answer, or None for a 404)
CASES = [
    ("very.specific.com", "/s1", "infra-backend-v1"),
    ("very.specific.com:1234", "/s1", "infra-backend-v1"),
    ("non.matching.com", "/s1", None),
    ("foo.nonmatchingwildcard.io", "/s1", None),
    ("foo.wildcard.io", "/s1", None),
    ("very.specific.com", "/non-matching-prefix", None),
    ("foo.wildcard.io", "/s2", "infra-backend-v2"),
    ("bar.wildcard.io", "/s2", "infra-backend-v2"),
    ("foo.bar.wildcard.io", "/s2", "infra-backend-v2"),
    ("non.matching.com", "/s2", None),
    ("wildcard.io", "/s2", None),
    ("very.specific.com", "/s2", None),
    ("foo.wildcard.io", "/non-matching-prefix", None),
    ("very.specific.com", "/s3", "infra-backend-v3"),
    ("non.matching.com", "/s3", None),
    ("foo.specific.com", "/s3", None),
    ("foo.wildcard.io", "/s3", None),
    ("very.specific.com", "/non-matching-prefix", None),
    ("foo.anotherwildcard.io", "/s4", "infra-backend-v1"),
    ("bar.anotherwildcard.io", "/s4", "infra-backend-v1"),
    ("foo.bar.anotherwildcard.io", "/s4", "infra-backend-v1"),
    ("anotherwildcard.io", "/s4", None),
    ("foo.wildcard.io", "/s4", None),
    ("very.specific.com", "/s4", None),
    ("foo.anotherwildcard.io", "/non-matching-prefix", None),
    # The route with no intersecting hostname must route nothing.
    ("specific.but.wrong.com", "/s5", None),
    ("wildcard.io", "/s5", None),
]
# On the Gateway whose only listener has no hostname, the route's hostnames decide.
ALL_CASES = [
    ("first.com", "infra-backend-v2"),
    ("sub.first.com", "infra-backend-v2"),
    ("second.com", "infra-backend-v2"),
    ("sub.second.com", "infra-backend-v2"),
    ("third.com", None),
    ("sub.third.com", None),
]
LISTENER_OK = (Condition("Accepted", "True"), Condition("ResolvedRefs", "True"))


def _expect(traffic: Traffic, host: str, path: str, backend: str | None) -> None:
    request = traffic.get(path, host=host)
    if backend is None:
        request.must_get(404)
    else:
        request.must_be_served_by(backend)


@scenario(
    "HTTPRouteHostnameIntersection",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_hostname_intersection.yaml",
    gateway="httproute-hostname-intersection",
)
def test_httproute_hostname_intersection(gateway: GatewayHandle, traffic: Traffic) -> None:
    for name in INTERSECTING:
        route = gateway.route(name)
        route.must_be_accepted()
        route.must_have_resolved_refs()
    route_must_have_parents(
        gateway,
        "no-intersecting-hosts",
        [parent_with(gateway, Condition("Accepted", "False", "NoMatchingListenerHostname"))],
        namespace_required=True,
    )
    for host, path, backend in CASES:
        _expect(traffic, host, path, backend)
    # Only Accepted routes count: listener-1 has two, listener-2 and listener-3 one each.
    gateway.must_have_listeners(
        [
            ExpectedListener("listener-1", 2, ("HTTPRoute",), LISTENER_OK),
            ExpectedListener("listener-2", 1, ("HTTPRoute",), LISTENER_OK),
            ExpectedListener("listener-3", 1, ("HTTPRoute",), LISTENER_OK),
        ]
    )

    other = gateway.other("httproute-hostname-intersection-all")
    route = other.route("httproute-hostname-intersection-all")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    other_traffic = traffic.at(other.address())
    for host, backend in ALL_CASES:
        _expect(other_traffic, host, "/", backend)
