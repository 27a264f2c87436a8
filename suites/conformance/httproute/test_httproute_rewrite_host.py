"""HTTPRouteRewriteHost: URLRewrite replaces the Host header the backend sees."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

HOST = "rewrite.example"


@scenario(
    "HTTPRouteRewriteHost",
    features={"Gateway", "HTTPRoute", "HTTPRouteHostRewrite"},
    manifest="test_httproute_rewrite_host.yaml",
)
def test_httproute_rewrite_host(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("rewrite-host")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    traffic.get("/one", host=HOST).must_be_served_by(
        "infra-backend-v1", host="one.example.org", path="/one"
    )
    traffic.get("/two", host=HOST).must_be_served_by(
        "infra-backend-v2", host="example.org", path="/two"
    )
    traffic.get(
        "/rewrite-host-and-modify-headers",
        host=HOST,
        headers={"X-Header-Remove": "remove-val", "X-Header-Add-Append": "append-val-1"},
    ).must_be_served_by(
        "infra-backend-v2",
        host="test.example.org",
        path="/rewrite-host-and-modify-headers",
        request_headers={
            "X-Header-Add": "header-val-1",
            "X-Header-Add-Append": "append-val-1,header-val-2",
            "X-Header-Set": "set-overwrites-values",
        },
        absent_request_headers=["X-Header-Remove"],
    )
