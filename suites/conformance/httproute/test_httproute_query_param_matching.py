"""HTTPRouteQueryParamMatching: query parameter matches, alone and with path/header matches."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

V1, V2, V3 = "infra-backend-v1", "infra-backend-v2", "infra-backend-v3"

# (path with query, request headers, backend that must answer, or the status code)
CASES: list[tuple[str, dict[str, str], str | int]] = [
    ("/?animal=whale", {}, V1),
    ("/?animal=dolphin", {}, V2),
    ("/?animal=dolphin&color=blue", {}, V3),
    ("/?ANIMAL=Whale", {}, V3),
    ("/?animal=whale&otherparam=irrelevant", {}, V1),
    ("/?animal=dolphin&color=yellow", {}, V2),
    ("/?color=blue", {}, 404),
    ("/?animal=dog", {}, 404),
    ("/?animal=whaledolphin", {}, 404),
    ("/", {}, 404),
    # Combined with path and header matches.
    ("/path1?animal=whale", {}, V1),
    ("/?animal=whale", {"version": "one"}, V2),
    ("/path2?animal=whale", {"version": "two"}, V3),
    # Matches are OR'd: either one routes.
    ("/path3?animal=shark", {}, V1),
    ("/path4?animal=kraken", {"version": "three"}, V1),
    # Conditions inside one match are AND'd: a subset does not route.
    ("/?animal=shark", {}, 404),
    ("/path4?animal=kraken", {}, 404),
    # Precedence: a path match wins, then header matches, then query parameter matches.
    ("/path5?animal=hydra", {}, V1),
    ("/?animal=hydra", {"version": "four"}, V3),
]


@scenario(
    "HTTPRouteQueryParamMatching",
    features={"Gateway", "HTTPRoute", "HTTPRouteQueryParamMatching"},
    manifest="test_httproute_query_param_matching.yaml",
)
def test_httproute_query_param_matching(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("query-param-matching")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    for path, headers, expected in CASES:
        request = traffic.get(path, headers=headers)
        if isinstance(expected, int):
            request.must_get(expected)
        else:
            request.must_be_served_by(expected)
