"""HTTPRouteCORS: preflights answered by the Gateway and CORS headers on simple requests."""

import dataclasses
from collections.abc import Sequence

from harness.conformance.roundtrip import ExpectedResponse
from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

ROUTES = [
    "cors-multiple-origins-methods-headers",
    "cors-wildcard-methods",
    "cors-wildcard-origin",
    "cors-wildcard-methods-headers",
]
ASK_GET_WITH_HEADERS = {
    "access-control-request-method": "GET",
    "access-control-request-headers": "x-header-1, x-header-2",
}
ONE_TWO = ["x-header-1, x-header-2", "x-header-2, x-header-1"]
# The full answer of the cors-1 rule to an allowed preflight (either order of lists).
CORS_1_ALLOWED: dict[str, str | Sequence[str]] = {
    "access-control-allow-methods": ["GET, OPTIONS", "OPTIONS, GET"],
    "access-control-allow-headers": ONE_TWO,
    "access-control-expose-headers": ["x-header-3, x-header-4", "x-header-4, x-header-3"],
    "access-control-max-age": "3600",
    "access-control-allow-credentials": "true",
}


@dataclasses.dataclass(frozen=True)
class Case:
    """One request and what must come back.

    A preflight (OPTIONS) must be answered by the Gateway itself (no echo body):
    upstream expects an empty captured path for them.
    """

    method: str
    path: str
    headers: dict[str, str]
    status: tuple[int, ...]
    response_headers: dict[str, str | Sequence[str]] = dataclasses.field(default_factory=dict)
    absent: tuple[str, ...] = ()

    @property
    def preflight(self) -> bool:
        return self.method == "OPTIONS"


def allowed_from(origin: str) -> dict[str, str | Sequence[str]]:
    return {"access-control-allow-origin": origin, **CORS_1_ALLOWED}


CASES = [
    # cors-1: exact origin, "*.bar.com" wildcard, a wildcard over several labels.
    Case(
        "OPTIONS",
        "/cors-1",
        {"Origin": "https://www.foo.com", **ASK_GET_WITH_HEADERS},
        (200, 204),
        allowed_from("https://www.foo.com"),
    ),
    Case(
        "OPTIONS",
        "/cors-1",
        {"Origin": "https://www.bar.com", **ASK_GET_WITH_HEADERS},
        (200, 204),
        allowed_from("https://www.bar.com"),
    ),
    Case(
        "OPTIONS",
        "/cors-1",
        {"Origin": "https://xpto.www.bar.com", **ASK_GET_WITH_HEADERS},
        (200, 204),
        allowed_from("https://xpto.www.bar.com"),
    ),
    Case(
        "OPTIONS",
        "/cors-1",
        {"Origin": "https://foobar.com", "access-control-request-method": "GET"},
        (200, 204, 403),
        absent=("access-control-allow-origin",),
    ),
    Case(
        "GET",
        "/cors-1",
        {"Origin": "https://www.foo.com", **ASK_GET_WITH_HEADERS},
        (200,),
        {"access-control-allow-origin": "https://www.foo.com"},
    ),
    Case(
        "GET",
        "/cors-1",
        {"Origin": "https://www.bar.com", **ASK_GET_WITH_HEADERS},
        (200,),
        {"access-control-allow-origin": "https://www.bar.com"},
    ),
    Case(
        "GET",
        "/cors-1",
        {"Origin": "https://foobar.com", "access-control-request-method": "GET"},
        (200,),
        absent=("access-control-allow-origin",),
    ),
    # cors-2: allowMethods "*" without credentials.
    Case(
        "OPTIONS",
        "/cors-2",
        {"Origin": "https://www.foo.com", "access-control-request-method": "POST"},
        (200, 204),
        {
            "access-control-allow-methods": ["POST", "*"],
            "access-control-allow-origin": "https://www.foo.com",
        },
        ("access-control-allow-credentials",),
    ),
    # allowOrigins "*" without credentials: "*" or the Origin echoed back.
    Case(
        "OPTIONS",
        "/cors-wildcard-origin",
        {"Origin": "https://foobar.com", "access-control-request-method": "PUT"},
        (200, 204),
        {
            "access-control-allow-origin": ["https://foobar.com", "*"],
            "access-control-allow-methods": "PUT",
        },
        ("access-control-allow-credentials",),
    ),
    Case(
        "OPTIONS",
        "/cors-wildcard-origin",
        {"Origin": "https://foobar.com:12345", "access-control-request-method": "PUT"},
        (200, 204),
        {
            "access-control-allow-origin": ["https://foobar.com:12345", "*"],
            "access-control-allow-methods": "PUT",
        },
        ("access-control-allow-credentials",),
    ),
    Case(
        "PUT",
        "/cors-wildcard-origin",
        {"Origin": "https://foobar.com:12345"},
        (200,),
        {"access-control-allow-origin": ["https://foobar.com:12345", "*"]},
    ),
    Case(
        "PUT",
        "/cors-wildcard-origin",
        {"Origin": "https://foobar.com"},
        (200,),
        {"access-control-allow-origin": ["https://foobar.com", "*"]},
        ("access-control-allow-credentials",),
    ),
    # "*" everything: with credentials the Origin must be echoed, never "*".
    Case(
        "OPTIONS",
        "/cors-wildcard-methods-headers",
        {
            "Origin": "https://other.foo.com",
            "access-control-request-method": "PUT",
            "access-control-request-headers": "x-header-1, x-header-2",
        },
        (200, 204),
        {
            "access-control-allow-origin": "https://other.foo.com",
            "access-control-allow-methods": "PUT",
            "access-control-allow-headers": ONE_TWO,
            "access-control-allow-credentials": "true",
        },
    ),
    Case(
        "OPTIONS",
        "/cors-wildcard-methods-headers-unauth",
        {
            "Origin": "https://other.foo.com",
            "access-control-request-method": "PUT",
            "access-control-request-headers": "x-header-1, x-header-2",
        },
        (200, 204),
        {
            "access-control-allow-origin": ["https://other.foo.com", "*"],
            "access-control-allow-methods": ["PUT", "*"],
            "access-control-allow-headers": [*ONE_TWO, "*"],
        },
        ("access-control-allow-credentials",),
    ),
    Case(
        "GET",
        "/cors-wildcard-methods-headers",
        {"Origin": "https://other.foo.com"},
        (200,),
        {
            "access-control-allow-origin": "https://other.foo.com",
            "access-control-allow-credentials": "true",
        },
    ),
    Case(
        "GET",
        "/cors-wildcard-methods-headers-unauth",
        {"Origin": "https://other.foo.com"},
        (200,),
        {"access-control-allow-origin": ["https://other.foo.com", "*"]},
        ("access-control-allow-credentials",),
    ),
]


@scenario(
    "HTTPRouteCORS",
    features={"Gateway", "HTTPRoute", "HTTPRouteCORS"},
    manifest="test_httproute_cors.yaml",
)
def test_httproute_cors(gateway: GatewayHandle, traffic: Traffic) -> None:
    for name in ROUTES:
        route = gateway.route(name)
        route.must_be_accepted()
        route.must_have_resolved_refs()
    for case in CASES:
        expected = ExpectedResponse(
            status=case.status,
            # Simple requests reach the backend; preflights stop at the Gateway.
            namespace=None if case.preflight else gateway.namespace,
            response_headers=case.response_headers,
            absent_response_headers=case.absent,
            # Header lists may come with or without spaces after commas (as upstream,
            # only where a list of header names is expected).
            ignore_whitespace="access-control-allow-headers" in case.response_headers,
            # Checked on every attempt: a preflight the backend answered never counts.
            answered_by_gateway=case.preflight,
        )
        traffic.request(case.path, method=case.method, headers=case.headers).expect(expected)
