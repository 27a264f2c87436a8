"""HTTPRouteRequestHeaderModifierBackendWeights: a backendRef's filter follows its backend."""

from harness.conformance.http_client import HttpRequest
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

REQUESTS = 100


def backend_header_values(echo_headers: dict[str, object]) -> list[str]:
    """Every value of the ``Backend`` header the echo server saw (any name case)."""
    values: list[str] = []
    for name, value in echo_headers.items():
        if name.lower() == "backend":
            values += [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return values


@scenario(
    "HTTPRouteRequestHeaderModifierBackendWeights",
    features={"Gateway", "HTTPRoute", "HTTPRouteBackendRequestHeaderModification"},
    manifest="test_httproute_request_header_modifier_backend_weights.yaml",
)
def test_httproute_request_header_modifier_backend_weights(
    gateway: GatewayHandle, traffic: Traffic
) -> None:
    route = gateway.route("request-header-modifier-backend-weights")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    traffic.get("/").must_get(200)
    for index in range(REQUESTS):
        response = traffic.send_once(HttpRequest(path="/"))
        echo = response.echo or {}
        headers = echo.get("headers")
        assert response.status == 200 and isinstance(headers, dict), (
            f"request {index}: expected an echo answer, got {response.summary()}"
        )
        backends = backend_header_values(headers)
        assert len(backends) == 1, (
            f"request {index}: expected exactly one Backend header at the backend, got "
            f"{backends} ({response.summary()})"
        )
        assert response.pod.startswith(backends[0]), (
            f"request {index}: the filter of backendRef {backends[0]!r} was applied but pod "
            f"{response.pod!r} answered"
        )
