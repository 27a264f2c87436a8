"""HTTPRouteMethodMatching: method matches, alone and with path/header matches."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

V1, V2, V3 = "infra-backend-v1", "infra-backend-v2", "infra-backend-v3"

# (method, path, request headers, backend that must answer, or the status code)
CASES: list[tuple[str, str, dict[str, str], str | int]] = [
    ("POST", "/", {}, V1),
    ("GET", "/", {}, V2),
    ("HEAD", "/", {}, 404),
    # Combined with path and header matches.
    ("GET", "/path1", {}, V1),
    ("PUT", "/", {"version": "one"}, V2),
    ("POST", "/path2", {"version": "two"}, V3),
    # Matches are OR'd: either one routes.
    ("PATCH", "/path3", {}, V1),
    ("DELETE", "/path4", {"version": "three"}, V1),
    # Conditions inside one match are AND'd: a subset does not route.
    ("PUT", "/", {}, 404),
    ("DELETE", "/path4", {}, 404),
    # Precedence: a path match wins, then a method match, then header matches.
    ("PATCH", "/path5", {}, V1),
    ("PATCH", "/", {"version": "four"}, V2),
]


@scenario(
    "HTTPRouteMethodMatching",
    features={"Gateway", "HTTPRoute", "HTTPRouteMethodMatching"},
    manifest="test_httproute_method_matching.yaml",
)
def test_httproute_method_matching(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("method-matching")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    for method, path, headers, expected in CASES:
        request = traffic.request(path, method=method, headers=headers)
        if isinstance(expected, int):
            request.must_get(expected)
        else:
            request.must_be_served_by(expected)
