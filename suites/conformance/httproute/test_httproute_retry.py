"""HTTPRouteRetry: failed backend answers with a listed code are retried up to `attempts` times.

The echo backend answers ``responseCode`` until it has seen ``succeedAfter``
requests carrying the same ``uuid``; every probe gets a fresh uuid so the
backend counts each probe's retries on their own.
"""

import uuid
from urllib.parse import urlencode

from harness.conformance.consistency import await_convergence
from harness.conformance.http_client import HttpRequest
from harness.conformance.roundtrip import ExpectedResponse, compare_round_trip
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

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
    query = urlencode(
        {"responseCode": code, "succeedAfter": succeed_after, "uuid": str(uuid.uuid4())}
    )
    request = HttpRequest(path=f"{path}?{query}")
    expected = ExpectedResponse(
        status=(want,), backend="infra-backend-v3", namespace=traffic.namespace
    )
    try:
        response = traffic.send_once(request)
    except (OSError, ConnectionError) as exc:
        return f"request failed: {exc.__class__.__name__}: {exc}"
    problem = compare_round_trip(request, expected, response)
    return f"{problem}; {response.summary()}" if problem else None


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
