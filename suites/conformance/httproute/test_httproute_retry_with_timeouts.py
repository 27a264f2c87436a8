"""HTTPRouteRetryWithTimeouts: retries stop where timeouts.backendRequest / request say.

`delayRetry` makes each failing try of the echo's retry simulator wait before answering:
300 ms outlasts the 200 ms per-try timeout, so those tries time out and are retried (no codes
listed: the timeout itself is the retriable failure); with 2 attempts, 2 slow tries are
survived and 3 end in 504. The second rule retries 500s only while the 400 ms request budget
lasts: 4 failures of 100 ms each (plus backoff) exhaust it, which is a 504.
"""

from harness.conformance.consistency import await_convergence
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic
from suites.conformance.httproute.retry_probe import retry_probe

PER_TRY = "/retry/backend-request-timeout-200ms"
WHOLE = "/retry/request-timeout-200ms"

# (path, simulator settings, status the client gets)
CASES: list[tuple[str, dict[str, str], int]] = [
    (PER_TRY, {"responseCode": "500", "succeedAfter": "2", "delayRetry": "300ms"}, 200),
    (PER_TRY, {"responseCode": "500", "succeedAfter": "3", "delayRetry": "300ms"}, 504),
    (WHOLE, {"responseCode": "500", "succeedAfter": "1"}, 200),
    (WHOLE, {"responseCode": "500", "succeedAfter": "4", "delayRetry": "100ms"}, 504),
]


@scenario(
    "HTTPRouteRetryWithTimeouts",
    features={
        "Gateway",
        "HTTPRoute",
        "HTTPRouteRetry",
        "HTTPRouteRetryBackendTimeout",
        "HTTPRouteRequestTimeout",
        "HTTPRouteBackendTimeout",
    },
    manifest="test_httproute_retry_with_timeouts.yaml",
)
def test_httproute_retry_with_timeouts(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("retries-with-timeouts")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    for path, simulation, want in CASES:
        await_convergence(
            lambda: retry_probe(traffic, path, simulation, (want,)),  # noqa: B023 - called at once
            traffic.timeouts,
            what=f"{path} with {simulation} answered {want}",
        )
