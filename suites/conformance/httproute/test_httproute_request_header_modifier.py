"""HTTPRouteRequestHeaderModifier: set, add and remove request headers before the backend."""

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic

# (path, headers sent, headers the backend must see, headers it must not see)
CASES: list[tuple[str, dict[str, str], dict[str, str], list[str]]] = [
    (
        "/set",
        {"Some-Other-Header": "val"},
        {"Some-Other-Header": "val", "X-Header-Set": "set-overwrites-values"},
        [],
    ),
    (
        "/set",
        {"Some-Other-Header": "val", "X-Header-Set": "some-other-value"},
        {"Some-Other-Header": "val", "X-Header-Set": "set-overwrites-values"},
        [],
    ),
    (
        "/add",
        {"Some-Other-Header": "val"},
        {"Some-Other-Header": "val", "X-Header-Add": "add-appends-values"},
        [],
    ),
    (
        "/add",
        {"Some-Other-Header": "val", "X-Header-Add": "some-other-value"},
        {"Some-Other-Header": "val", "X-Header-Add": "some-other-value,add-appends-values"},
        [],
    ),
    ("/remove", {"X-Header-Remove": "val"}, {}, ["X-Header-Remove"]),
    (
        "/multiple",
        {
            "X-Header-Set-2": "set-val-2",
            "X-Header-Add-2": "add-val-2",
            "X-Header-Remove-2": "remove-val-2",
            "Another-Header": "another-header-val",
        },
        {
            "X-Header-Set-1": "header-set-1",
            "X-Header-Set-2": "header-set-2",
            "X-Header-Add-1": "header-add-1",
            "X-Header-Add-2": "add-val-2,header-add-2",
            "X-Header-Add-3": "header-add-3",
            "Another-Header": "another-header-val",
        },
        ["X-Header-Remove-1", "X-Header-Remove-2"],
    ),
    (
        "/case-insensitivity",
        {
            "x-header-set": "original-val-set",
            "x-header-add": "original-val-add",
            "x-header-remove": "original-val-remove",
            "Another-Header": "another-header-val",
        },
        {
            "X-Header-Set": "header-set",
            "X-Header-Add": "original-val-add,header-add",
            "Another-Header": "another-header-val",
        },
        ["x-header-remove", "X-Header-Remove"],
    ),
]


@scenario(
    "HTTPRouteRequestHeaderModifier",
    features={"Gateway", "HTTPRoute"},
    manifest="test_httproute_request_header_modifier.yaml",
)
def test_httproute_request_header_modifier(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("request-header-modifier")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    for path, sent, seen, absent in CASES:
        traffic.get(path, headers=sent).must_be_served_by(
            "infra-backend-v1", request_headers=seen, absent_request_headers=absent
        )
