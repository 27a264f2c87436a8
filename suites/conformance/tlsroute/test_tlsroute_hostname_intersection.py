"""TLSRouteHostnameIntersection: TLSRoutes serve only where their hostnames meet the listener's."""

from harness.conformance.roundtrip import backend_of_pod
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.timeouts import TimeoutConfig
from harness.conformance.traffic import Traffic
from suites.conformance.tlsroute.tls_checks import checks_ca, must_be_rejected

# Gateway → (its routes, SNI that finds no route there); every Gateway serves
# abc.example.com from tls-backend, and all but the first serve other.example.com from
# tls-backend-2 (on the exact-hostname listener that name matches no listener).
GATEWAYS = {
    "gw-tlsroute-exact-hostname-x-1": (
        ["tlsroute-more-specific-wc-hostname-x-1"],
        "non.matching.com",
    ),
    "gw-tlsroute-more-specific-wc-hostname-x-2": (
        ["tlsroute-exact-hostname-x-2", "tlsroute-less-specific-wc-hostname-x-2"],
        "non.matching.com",
    ),
    "gw-tlsroute-less-specific-wc-hostname-x-3": (
        ["tlsroute-exact-hostname-x-3", "tlsroute-more-specific-wc-hostname-x-3"],
        "non.matching.com",
    ),
    "gw-tlsroute-empty-hostname-x-4": (
        ["tlsroute-exact-hostname-x-4", "tlsroute-less-specific-wc-hostname-x-4"],
        "non.matching.org",
    ),
}


def _must_be_served_by(https: Traffic, host: str, backend: str) -> None:
    response = https.get("/", host=host, sni=host).must_be_served_by(backend)
    # The framework compares a pod-name prefix, and "tls-backend" is a prefix of
    # "tls-backend-2": compare the Deployment exactly.
    assert backend_of_pod(response.pod) == backend, (
        f"SNI {host} was served by pod {response.pod}, expected a pod of {backend}"
    )


@scenario(
    "TLSRouteHostnameIntersection",
    features={"Gateway", "TLSRoute"},
    manifest="test_tlsroute_hostname_intersection.yaml",
    gateway="gw-tlsroute-exact-hostname-x-1",
)
def test_tlsroute_hostname_intersection(gateway: GatewayHandle, timeouts: TimeoutConfig) -> None:
    # tls-backend(-2) present tls-checks-certificate (abc/other.example.com), signed by this CA.
    tls = checks_ca(gateway.api, "")
    for name, (routes, unmatched) in GATEWAYS.items():
        gw = gateway.other(name)
        for route_name in routes:
            route = gw.route(route_name, kind="TLSRoute")
            route.must_be_accepted()
            route.must_have_resolved_refs()
        address = gw.address()
        # Built here, not taken from the traffic fixture: the address is known only once
        # the routes are accepted, so a failure says what went wrong, not "no address".
        https = Traffic(address, timeouts, tls=tls)
        _must_be_served_by(https, "abc.example.com", "tls-backend")
        if len(routes) > 1:
            _must_be_served_by(https, "other.example.com", "tls-backend-2")
        must_be_rejected(address, unmatched, timeouts)
