"""HTTPRouteTimeoutRequest: timeouts.request bounds the whole request (504 when exceeded)."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRouteTimeoutRequest",
    features={"Gateway", "HTTPRoute", "HTTPRouteRequestTimeout"},
    manifest="test_httproute_timeout_request.yaml",
)
def test_httproute_timeout_request(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("request-timeout")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    traffic.get("/request-timeout").must_get(200)
    # The echo backend waits `delay` before answering: longer than the 500 ms timeout.
    traffic.get("/request-timeout?delay=1s").must_get(504)
    # "0s" turns the timeout off, so the slow answer gets through.
    traffic.get("/disable-request-timeout?delay=1s").must_get(200)
