"""HTTPRouteTimeoutBackendRequest: timeouts.backendRequest bounds a backend request (504)."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@scenario(
    "HTTPRouteTimeoutBackendRequest",
    features={"Gateway", "HTTPRoute", "HTTPRouteBackendTimeout"},
    manifest="test_httproute_timeout_backend_request.yaml",
)
def test_httproute_timeout_backend_request(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("backend-request-timeout")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    traffic.get("/backend-timeout").must_get(200)
    # The echo backend waits `delay` before answering: longer than the 500 ms timeout.
    traffic.get("/backend-timeout?delay=1s").must_get(504)
    # "0s" turns the timeout off, so the slow answer gets through.
    traffic.get("/disable-backend-timeout?delay=1s").must_get(200)
