"""HTTPRouteRetryConnectionError: a try the backend aborts with a TCP reset is retried.

Without `responseCode` the echo's retry simulator resets the connection for the first
``succeedAfter`` requests of a uuid; with 3 attempts (4 tries) 2 resets are survived and 4 are
not, and then the gateway must answer with an error of its own (upstream accepts 500 or 503).
"""

from harness.conformance.consistency import await_convergence
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic
from suites.conformance.httproute.retry_probe import retry_probe

PATH = "/retry/no-status-code-attempts-3"

# (resets before the backend succeeds, statuses the client may get)
CASES = [
    (2, (200,)),
    (4, (500, 503)),
]


@scenario(
    "HTTPRouteRetryConnectionError",
    features={"Gateway", "HTTPRoute", "HTTPRouteRetry", "HTTPRouteRetryConnectionError"},
    manifest="test_httproute_retry_connection_error.yaml",
)
def test_httproute_retry_connection_error(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("retries-connection-error")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    for succeed_after, want in CASES:
        simulation = {"succeedAfter": str(succeed_after)}
        await_convergence(
            lambda: retry_probe(traffic, PATH, simulation, want),  # noqa: B023 - called at once
            traffic.timeouts,
            what=f"{PATH} resetting {succeed_after} times answered {list(want)}",
        )
