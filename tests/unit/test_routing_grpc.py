"""GRPCRoute entries: parsing, matching and precedence in the proxy's planner (no sockets)."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from reference_impl.proxy.plan import Forward, IncomingRequest, Respond, plan
from reference_impl.proxy.routing import CompiledTable
from reference_impl.routing_table import parse

SERVICE = "pkg.Echo"


def backend(name: str, weight: int = 1, valid: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "weight": weight,
        "valid": valid,
        "endpoints": [{"ip": "127.0.0.1", "port": 9}],
        **extra,
    }


def grpc_route(
    name: str,
    rules: list[dict[str, Any]],
    hostnames: list[str] | None = None,
    created: str = "2026-01-01T00:00:00Z",
) -> dict[str, Any]:
    return {
        "kind": "GRPCRoute",
        "namespace": "ns",
        "name": name,
        "creationTimestamp": created,
        "hostnames": hostnames or [],
        "rules": rules,
    }


def match(
    service: str | None = None,
    method: str | None = None,
    kind: str = "Exact",
    headers: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    m = (
        None
        if service is None and method is None
        else {"type": kind, "service": service, "method": method}
    )
    return {"method": m, "headers": headers or []}


def table(routes: list[dict[str, Any]], protocol: str = "HTTP") -> CompiledTable:
    return CompiledTable(
        parse(
            {
                "version": 1,
                "gateway": {"namespace": "gw", "name": "gw"},
                "listeners": [
                    {
                        "name": "l",
                        "port": 80,
                        "protocol": protocol,
                        "hostname": None,
                        "routes": routes,
                    }
                ],
            }
        )
    )


def grpc_call(
    t: CompiledTable,
    path: str,
    host: str = "example.com",
    headers: list[tuple[str, str]] | None = None,
    content_type: str = "application/grpc",
) -> Forward | Respond:
    req = IncomingRequest(
        "POST", path, host, [("content-type", content_type), *(headers or [])], 80
    )
    return plan(t, req, random.Random(7))


def backend_of(decision: Forward | Respond) -> str:
    assert isinstance(decision, Forward), decision
    assert decision.grpc
    return decision.backend.name


def grpc_status(decision: Forward | Respond) -> str | None:
    assert isinstance(decision, Respond) and decision.trailers_only, decision
    assert ("content-type", "application/grpc") in decision.headers
    return dict(decision.headers).get("grpc-status")


def test_exact_matches_and_unimplemented() -> None:
    t = table(
        [
            grpc_route(
                "r",
                [
                    {"index": 0, "matches": [match(SERVICE, "Echo")], "backends": [backend("v1")]},
                    {
                        "index": 1,
                        "matches": [match(SERVICE, "EchoTwo")],
                        "backends": [backend("v2")],
                    },
                ],
            )
        ]
    )
    assert backend_of(grpc_call(t, f"/{SERVICE}/Echo")) == "v1"
    assert backend_of(grpc_call(t, f"/{SERVICE}/EchoTwo")) == "v2"
    assert grpc_status(grpc_call(t, f"/{SERVICE}/EchoThree")) == "12"
    assert grpc_status(grpc_call(t, f"/{SERVICE}/echo")) == "12"  # case-sensitive
    assert grpc_status(grpc_call(t, f"/{SERVICE}/Echo/extra")) == "12"
    # content-type decides: the same path as plain HTTP is not matched against GRPCRoutes
    plain = plan(
        t, IncomingRequest("POST", f"/{SERVICE}/Echo", "example.com", [], 80), random.Random()
    )
    assert isinstance(plain, Respond) and plain.status == 404 and not plain.trailers_only
    assert (
        backend_of(grpc_call(t, f"/{SERVICE}/Echo", content_type="application/grpc+proto")) == "v1"
    )


def test_precedence_hostname_service_method_headers_age_name() -> None:
    t = table(
        [
            grpc_route("any", [{"index": 0, "matches": [match()], "backends": [backend("any")]}]),
            grpc_route(
                "method-only",
                [{"index": 0, "matches": [match(None, "Echo")], "backends": [backend("m")]}],
            ),
            grpc_route(
                "service", [{"index": 0, "matches": [match(SERVICE)], "backends": [backend("s")]}]
            ),
            grpc_route(
                "service-headers",
                [
                    {
                        "index": 0,
                        "matches": [match(SERVICE, headers=[{"name": "X-V", "value": "1"}])],
                        "backends": [backend("sh")],
                    }
                ],
            ),
            grpc_route(
                "wild-host", [{"index": 0, "backends": [backend("wild")]}], ["*.example.com"]
            ),
            grpc_route(
                "exact-host", [{"index": 0, "backends": [backend("exact")]}], ["a.example.com"]
            ),
            grpc_route(
                "newer",
                [
                    {
                        "index": 0,
                        "matches": [match("pkg.Other", "Echo")],
                        "backends": [backend("newer")],
                    }
                ],
                created="2026-02-01T00:00:00Z",
            ),
            grpc_route(
                "older",
                [
                    {
                        "index": 0,
                        "matches": [match("pkg.Other", "Echo")],
                        "backends": [backend("older")],
                    }
                ],
            ),
        ]
    )
    assert backend_of(grpc_call(t, f"/{SERVICE}/Echo", "a.example.com")) == "exact"
    assert backend_of(grpc_call(t, f"/{SERVICE}/Echo", "b.example.com")) == "wild"
    assert backend_of(grpc_call(t, f"/{SERVICE}/Echo", "other.test")) == "s"
    assert backend_of(grpc_call(t, f"/{SERVICE}/Echo", "other.test", [("x-v", "1")])) == "sh"
    assert backend_of(grpc_call(t, "/pkg.Third/Echo", "other.test")) == "m"
    assert backend_of(grpc_call(t, "/pkg.Third/Nope", "other.test")) == "any"
    assert backend_of(grpc_call(t, "/pkg.Other/Echo", "other.test")) == "older"


def test_regex_is_a_full_match_of_each_part() -> None:
    t = table(
        [
            grpc_route(
                "re",
                [
                    {
                        "index": 0,
                        "matches": [match(r"pkg\.E.*", "Echo(Two)?", "RegularExpression")],
                        "backends": [backend("re")],
                    }
                ],
            )
        ]
    )
    assert backend_of(grpc_call(t, "/pkg.Echo/EchoTwo")) == "re"
    assert grpc_status(grpc_call(t, "/pkg.Echo/EchoTwoX")) == "12"
    assert grpc_status(grpc_call(t, "/xpkg.Echo/Echo")) == "12"


def test_invalid_or_empty_backends_are_unavailable_and_filters_apply() -> None:
    mod = {
        "type": "RequestHeaderModifier",
        "requestHeaderModifier": {"add": [{"name": "X-Add", "value": "a"}], "remove": ["x-drop"]},
    }
    mirror = {
        "type": "RequestMirror",
        "requestMirror": {"backend": backend("mirror")},
    }
    t = table(
        [
            grpc_route(
                "bad", [{"index": 0, "backends": [backend("x", valid=False)]}], ["bad.test"]
            ),
            grpc_route(
                "none",
                [{"index": 0, "backends": [{"name": "e", "weight": 1, "valid": True}]}],
                ["empty.test"],
            ),
            grpc_route(
                "ok",
                [{"index": 0, "filters": [mod, mirror], "backends": [backend("ok")]}],
                ["ok.test"],
            ),
        ]
    )
    assert grpc_status(grpc_call(t, "/a.B/C", "bad.test")) == "14"
    assert grpc_status(grpc_call(t, "/a.B/C", "empty.test")) == "14"
    d = grpc_call(t, "/a.B/C", "ok.test", [("x-drop", "1")])
    assert isinstance(d, Forward)
    names = [n.lower() for n, _ in d.headers]
    assert "x-add" in names and "x-drop" not in names
    assert [m.backend.name for m in d.mirrors] == ["mirror"] and d.mirrors[0].h2
    # a gRPC request for a host no listener or route serves is UNIMPLEMENTED, not an HTML 404
    assert grpc_status(grpc_call(t, "/a.B/C", "elsewhere.test")) == "12"


def test_weights_split_grpc_requests() -> None:
    t = table(
        [
            grpc_route(
                "w", [{"index": 0, "backends": [backend("a", 3), backend("b", 1), backend("c", 0)]}]
            )
        ]
    )
    rng = random.Random(1)
    counts: dict[str, int] = {}
    for _ in range(400):
        req = IncomingRequest("POST", "/a.B/C", "h", [("content-type", "application/grpc")], 80)
        d = plan(t, req, rng)
        assert isinstance(d, Forward)
        counts[d.backend.name] = counts.get(d.backend.name, 0) + 1
    assert "c" not in counts
    assert 250 < counts["a"] < 350


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"index": 0, "filters": [{"type": "URLRewrite", "urlRewrite": {}}]},
            "rules[0].filters[0].type: 'URLRewrite' is not a GRPCRoute filter",
        ),
        (
            {"index": 0, "matches": [match("(", None, "RegularExpression")]},
            "rules[0].matches[0].method.service: invalid regular expression",
        ),
        (
            {"index": 0, "matches": [{"method": {"type": "Prefix", "service": "a"}}]},
            "rules[0].matches[0].method.type: 'Prefix' is not one of",
        ),
        (
            {"index": 0, "backends": [backend("b", tls={"hostname": "h"})]},
            "rules[0].backends[0].tls: set exactly one of caPem or wellKnownCACertificates",
        ),
    ],
)
def test_bad_grpc_entries_name_the_field(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        table([grpc_route("r", [rule])])


def test_grpc_routes_need_http_listeners() -> None:
    with pytest.raises(
        ValueError, match=re.escape("routes[0].kind: a GRPCRoute cannot attach to a TLS listener")
    ):
        parse(
            {
                "version": 1,
                "gateway": {"namespace": "gw", "name": "gw"},
                "listeners": [
                    {
                        "name": "t",
                        "port": 443,
                        "protocol": "TLS",
                        "tls": {"mode": "Passthrough"},
                        "routes": [grpc_route("r", [{"index": 0}])],
                    }
                ],
            }
        )


def test_backend_tls_is_parsed() -> None:
    tls = {
        "caPem": None,
        "wellKnownCACertificates": "System",
        "hostname": "abc.example.com",
        "subjectAltNames": [
            {"type": "Hostname", "hostname": "a.example.com"},
            {"type": "URI", "uri": "spiffe://x/y"},
        ],
    }
    t = table([grpc_route("r", [{"index": 0, "backends": [backend("b", tls=tls)]}])])
    parsed = t.table.listeners[0].grpc_routes[0].rules[0].backends[0].tls
    assert parsed is not None
    assert parsed.well_known_ca == "System" and parsed.ca_pem is None
    assert parsed.hostname == "abc.example.com"
    assert [(s.type, s.value) for s in parsed.subject_alt_names] == [
        ("Hostname", "a.example.com"),
        ("URI", "spiffe://x/y"),
    ]
