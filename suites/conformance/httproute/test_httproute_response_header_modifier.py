"""HTTPRouteResponseHeaderModifier: set, add and remove response headers from the backend."""

import dataclasses

from harness.conformance.scenario import GatewayHandle, scenario
from harness.conformance.traffic import Traffic


@dataclasses.dataclass(frozen=True)
class Case:
    """A request, the response headers the backend is told to send, and what must come back."""

    path: str
    backend_sets: dict[str, str]
    response_headers: dict[str, str] = dataclasses.field(default_factory=dict)
    absent_response_headers: tuple[str, ...] = ()
    request_headers: dict[str, str] = dataclasses.field(default_factory=dict)
    backend_sees: dict[str, str] = dataclasses.field(default_factory=dict)
    backend_lacks: tuple[str, ...] = ()


CASES = [
    Case(
        "/set",
        {"Some-Other-Header": "val"},
        {"Some-Other-Header": "val", "X-Header-Set": "set-overwrites-values"},
    ),
    Case(
        "/set",
        {"Some-Other-Header": "val", "X-Header-Set": "some-other-value"},
        {"Some-Other-Header": "val", "X-Header-Set": "set-overwrites-values"},
    ),
    Case(
        "/add",
        {"Some-Other-Header": "val"},
        {"Some-Other-Header": "val", "X-Header-Add": "add-appends-values"},
    ),
    Case(
        "/add",
        {"Some-Other-Header": "val", "X-Header-Add": "some-other-value"},
        {"Some-Other-Header": "val", "X-Header-Add": "some-other-value,add-appends-values"},
    ),
    Case("/remove", {"X-Header-Remove": "val"}, absent_response_headers=("X-Header-Remove",)),
    Case(
        "/multiple",
        {
            "X-Header-Set-2": "set-val-2",
            "X-Header-Add-2": "add-val-2",
            "X-Header-Remove-2": "remove-val-2",
            "Another-Header": "another-header-val",
            "X-Header-Remove-1": "val",
        },
        {
            "X-Header-Set-1": "header-set-1",
            "X-Header-Set-2": "header-set-2",
            "X-Header-Add-1": "header-add-1",
            "X-Header-Add-2": "add-val-2,header-add-2",
            "X-Header-Add-3": "header-add-3",
            "Another-Header": "another-header-val",
        },
        ("X-Header-Remove-1", "X-Header-Remove-2"),
    ),
    Case(
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
            "X-Lowercase-Add": "lowercase-add",
            "X-Mixedcase-Add-1": "mixedcase-add-1",
            "X-Mixedcase-Add-2": "mixedcase-add-2",
            "X-Uppercase-Add": "uppercase-add",
            "Another-Header": "another-header-val",
        },
        ("x-header-remove", "X-Header-Remove"),
    ),
    Case(
        "/response-and-request-header-modifiers",
        {
            "X-Header-Set-2": "set-val-2",
            "X-Header-Add-2": "add-val-2",
            "X-Header-Remove-2": "remove-val-2",
            "Another-Header": "another-header-val",
            "X-Header-Remove-1": "remove-val-1",
            "X-Header-Echo": "echo",
        },
        {
            "X-Header-Set-1": "header-set-1",
            "X-Header-Set-2": "header-set-2",
            "X-Header-Add-1": "header-add-1",
            "X-Header-Add-2": "add-val-2,header-add-2",
            "Another-Header": "another-header-val",
            "X-Header-Echo": "echo",
        },
        ("X-Header-Remove-1", "X-Header-Remove-2"),
        request_headers={
            "X-Header-Remove": "remove-val",
            "X-Header-Add-Append": "append-val-1",
            "X-Header-Echo": "echo",
        },
        backend_sees={
            "X-Header-Add": "header-val-1",
            "X-Header-Set": "set-overwrites-values",
            "X-Header-Add-Append": "append-val-1,header-val-2",
            "X-Header-Echo": "echo",
        },
        backend_lacks=("X-Header-Remove",),
    ),
]


@scenario(
    "HTTPRouteResponseHeaderModifier",
    features={"Gateway", "HTTPRoute", "HTTPRouteResponseHeaderModification"},
    manifest="test_httproute_response_header_modifier.yaml",
)
def test_httproute_response_header_modifier(gateway: GatewayHandle, traffic: Traffic) -> None:
    route = gateway.route("response-header-modifier")
    route.must_be_accepted()
    route.must_have_resolved_refs()
    for case in CASES:
        request = traffic.request(
            case.path, headers=case.request_headers, echo_set_headers=case.backend_sets
        )
        request.must_be_served_by(
            "infra-backend-v1",
            response_headers=case.response_headers,
            absent_response_headers=case.absent_response_headers,
            request_headers=case.backend_sees,
            absent_request_headers=case.backend_lacks,
        )
