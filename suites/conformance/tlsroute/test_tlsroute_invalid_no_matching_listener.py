"""TLSRouteInvalidNoMatchingListener: no TLS listener to attach to means no accepted parent."""

from harness.conformance.scenario import GatewayHandle, scenario

# route → (Gateway it names, the Accepted=False reason it must get)
ROUTES = {
    "tlsroute-not-allowed-protocol-http": ("gateway-tlsroute-http-only", "NotAllowedByListeners"),
    "tlsroute-not-allowed-protocol-https": (
        "gateway-tlsroute-https-only",
        "NotAllowedByListeners",
    ),
    "tlsroute-no-matching-section-name": (
        "gateway-tlsroute-tls-passthrough-only",
        "NoMatchingParent",
    ),
}


@scenario(
    "TLSRouteInvalidNoMatchingListener",
    features={"Gateway", "TLSRoute"},
    manifest="test_tlsroute_invalid_no_matching_listener.yaml",
    gateway="gateway-tlsroute-tls-passthrough-only",
)
def test_tlsroute_invalid_no_matching_listener(gateway: GatewayHandle) -> None:
    for name, (gateway_name, reason) in ROUTES.items():
        gateway.other(gateway_name).route(name, kind="TLSRoute").must_have_condition(
            "Accepted", "False", reason
        )
    for name in ROUTES:
        gateway.route(name, kind="TLSRoute").must_not_be_accepted()
    for gateway_name in ("gateway-tlsroute-http-only", "gateway-tlsroute-https-only"):
        gateway.other(gateway_name).must_have_zero_routes()
