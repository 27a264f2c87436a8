"""HTTPRouteRewritePath: URLRewrite replaces the path prefix or the full path."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

# (request path, path the backend must see)
PLAIN = [
    ("/prefix/one/two", "/one/two"),
    ("/strip-prefix/three", "/three"),
    ("/strip-prefix", "/"),
    ("/full/one/two", "/one"),
]
# Rewrite and RequestHeaderModifier on the same rule.
WITH_HEADERS = [
    ("/full/rewrite-path-and-modify-headers/test", "/test"),
    ("/prefix/rewrite-path-and-modify-headers/one", "/prefix/one"),
]
SENT = {
    "X-Header-Remove": "remove-val",
    "X-Header-Add-Append": "append-val-1",
    "X-Header-Set": "set-val",
}
SEEN = {
    "X-Header-Add": "header-val-1",
    "X-Header-Add-Append": "append-val-1,header-val-2",
    "X-Header-Set": "set-overwrites-values",
}


@scenario(
    "HTTPRouteRewritePath",
    features={"Gateway", "HTTPRoute", "HTTPRoutePathRewrite"},
    manifest="test_httproute_rewrite_path.yaml",
)
def test_httproute_rewrite_path(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("rewrite-path")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    for path, rewritten in PLAIN:
        traffic.get(path).must_be_served_by("infra-backend-v1", path=rewritten)
    for path, rewritten in WITH_HEADERS:
        traffic.get(path, headers=SENT).must_be_served_by(
            "infra-backend-v1",
            path=rewritten,
            request_headers=SEEN,
            absent_request_headers=["X-Header-Remove"],
        )
