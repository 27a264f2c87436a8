"""HTTPRouteRetry: failed backend answers with a listed code are retried up to `attempts` times.

The echo backend answers ``responseCode`` until it has seen ``succeedAfter``
requests carrying the same ``uuid``; every probe gets a fresh uuid so the
backend counts each probe's retries on their own.
"""

from harness.conformance.consistency import await_convergence
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic
from suites.conformance.httproute.retry_probe import retry_probe

ONLY_500 = "/retry/code-500-attempts-3"
ALL_CODES = "/retry/code-all-attempts-2"

# (path, code the backend fails with, failures before it succeeds, status the client gets)
CASES = [
    (ONLY_500, 500, 2, 200),
    (ONLY_500, 500, 4, 500),  # 1 try + 3 retries all fail
    (ONLY_500, 503, 2, 503),  # 503 is not a retry code of this rule
    (ALL_CODES, 500, 1, 200),
    (ALL_CODES, 500, 3, 500),
    (ALL_CODES, 502, 1, 200),
    (ALL_CODES, 502, 3, 502),
    (ALL_CODES, 503, 1, 200),
    (ALL_CODES, 503, 3, 503),
    (ALL_CODES, 504, 1, 200),
    (ALL_CODES, 504, 3, 504),
]


def probe(traffic: Traffic, path: str, code: int, succeed_after: int, want: int) -> str | None:
    """One request with a fresh uuid; None when the answer is as wanted."""
    simulation = {"responseCode": str(code), "succeedAfter": str(succeed_after)}
    return retry_probe(traffic, path, simulation, (want,))


@scenario(
    "HTTPRouteRetry",
    features={"Gateway", "HTTPRoute", "HTTPRouteRetry"},
    manifest="test_httproute_retry.yaml",
)
def test_httproute_retry(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("retries")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    for path, code, succeed_after, want in CASES:
        await_convergence(
            lambda: probe(traffic, path, code, succeed_after, want),  # noqa: B023 - called at once
            traffic.timeouts,
            what=f"{path} failing {succeed_after} times with {code} answered {want}",
        )
