"""HTTPRouteHTTPSListenerDetectMisdirectedRequests: Host outside the SNI's listener is 421."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic, tls_for

V1, V2, V3 = "infra-backend-v1", "infra-backend-v2", "infra-backend-v3"
ROUTES = [f"https-listener-detect-misdirected-requests-test-{n}" for n in (1, 2, 3, 4)]
PATH = "/detect-misdirected-requests"

# (SNI, Host, backend that must answer, or the status code)
CASES: list[tuple[str, str, str | int]] = [
    ("example.org", "example.org", V1),
    ("example.org", "second-example.org", 421),
    ("example.org", "unknown-example.org", 404),
    ("second-example.org", "second-example.org", V2),
    ("second-example.org", "example.org", 421),
    ("second-example.org", "unknown-example.org", 421),
    ("third-example.wildcard.org", "third-example.wildcard.org", V3),
    ("third-example.wildcard.org", "fith-example.wildcard.org", V3),
    ("third-example.wildcard.org", "fourth-example.wildcard.org", 421),
    ("third-example.wildcard.org", "second-example.org", 421),
    ("third-example.wildcard.org", "unknown-example.org", 421),
    ("fourth-example.wildcard.org", "fourth-example.wildcard.org", V1),
    ("fourth-example.wildcard.org", "fith-example.wildcard.org", 421),
    # An SNI no listener names falls to the hostname-less listener, like its Host.
    ("unknown-example.org", "example.org", V1),
    ("unknown-example.org", "unknown-example.org", 404),
]


@scenario(
    "HTTPRouteHTTPSListenerDetectMisdirectedRequests",
    features={"Gateway", "GatewayHTTPSListenerDetectMisdirectedRequests", "HTTPRoute"},
    manifest="test_httproute_https_listener_detect_misdirected_requests.yaml",
    gateway="same-namespace-with-https-listener",
)
def test_httproute_https_listener_detect_misdirected_requests(
    gateway: GatewayHandle, traffic: Traffic
) -> None:
    for name in ROUTES:
        route = gateway.route(name)
        route.must_be_accepted()
        route.must_have_resolved_refs()
    # The listener's own certificate is the trust anchor; the framework checks names Go's
    # way, so its "*.org" covers example.org as upstream's client accepts it.
    tls = tls_for(
        gateway.api, "", secret="tls-validity-checks-certificate", namespace=gateway.namespace
    )
    https = traffic.at(traffic.address, tls=tls)
    for sni, host, expected in CASES:
        request = https.get(PATH, host=host, sni=sni, protocol="H2")
        if isinstance(expected, int):
            request.must_get(expected)
        else:
            request.must_be_served_by(expected)
