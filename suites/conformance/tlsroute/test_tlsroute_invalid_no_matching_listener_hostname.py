"""TLSRouteInvalidNoMatchingListenerHostname: disjoint hostnames leave a TLSRoute unattached."""

from harness.conformance.scenario import GatewayHandle, scenario

# route → the Gateway (exact, then wildcard listener hostname) it names
ROUTES = {
    "tlsroute-hostname-mismatch-1": "gateway-tls-exact-hostname",
    "tlsroute-hostname-mismatch-2": "gateway-tls-wildcard-hostname",
}


@scenario(
    "TLSRouteInvalidNoMatchingListenerHostname",
    features={"Gateway", "TLSRoute"},
    manifest="test_tlsroute_invalid_no_matching_listener_hostname.yaml",
    gateway="gateway-tls-exact-hostname",
)
def test_tlsroute_invalid_no_matching_listener_hostname(gateway: GatewayHandle) -> None:
    for name, gateway_name in ROUTES.items():
        gateway.other(gateway_name).route(name, kind="TLSRoute").must_have_condition(
            "Accepted", "False", "NoMatchingListenerHostname"
        )
    for name in ROUTES:
        gateway.route(name, kind="TLSRoute").must_not_be_accepted()
    for gateway_name in ROUTES.values():
        gateway.other(gateway_name).must_have_zero_routes()
