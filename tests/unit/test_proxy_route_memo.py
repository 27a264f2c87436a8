"""RouteMemo: the same decisions as plan(), with only header-independent matches remembered."""

from __future__ import annotations

import random
from typing import Any

from reference_impl.proxy.plan import Forward, IncomingRequest, plan
from reference_impl.proxy.route_memo import MEMO_LIMIT, RouteMemo
from reference_impl.proxy.routing import CompiledTable
from tests.unit.test_routing_engine import (
    backend,
    exact,
    headers,
    hm,
    listener,
    prefix,
    redirect,
    route,
    rule,
    table,
)


def _mixed_table(v2_weight: int = 1) -> CompiledTable:
    """Most route shapes: precedence, methods, queries, headers, filters, weights, failures."""
    regex = {"path": {"type": "RegularExpression", "value": "/re/[0-9]+"}}
    plain = [
        route(
            "main",
            [
                rule(0, ["v1"], [exact("/exact")]),
                rule(1, ["v2"], [prefix("/api", method="POST")]),
                rule(2, ["v3"], [prefix("/api", queryParams=[{"name": "q", "value": "1"}])]),
                rule(3, ["v1"], [regex]),
                rule(4, [], [prefix("/redirect")], filters=[redirect(hostname="other")]),
                rule(
                    5,
                    ["v2"],
                    [prefix("/modified")],
                    filters=[hm("RequestHeaderModifier", {"X-Set": "1"})],
                ),
                rule(
                    6,
                    [backend("v1"), backend("v2", weight=v2_weight), backend("bad", valid=False)],
                    [prefix("/split")],
                ),
                rule(7, [backend("empty", endpoints=False)], [prefix("/empty")]),
                rule(8, ["v3"], [prefix("/")]),
            ],
        ),
        route(
            "by-header",
            [
                rule(0, ["v2"], [prefix("/", headers=headers(version="two"))]),
                rule(1, ["v1"], [prefix("/")]),
            ],
            hostnames=["hdr.example.com"],
        ),
    ]
    return table(
        listener("http", plain),
        listener("wild", [route("wild", [rule(0, ["v2"])])], hostname="*.wild.com"),
        listener("https", [route("tls", [rule(0, ["v1"])])], "a.tls.com", 443, "HTTPS"),
        listener("https-b", [route("tls-b", [rule(0, ["v2"])])], "b.tls.com", 443, "HTTPS"),
    )


REQUESTS: list[dict[str, Any]] = [
    {"target": "/exact"},
    {"target": "/exact/"},
    {"target": "/api/x", "method": "POST"},
    {"target": "/api/x?q=1"},
    {"target": "/api/x?q=2"},
    {"target": "/re/42"},
    {"target": "/re/x"},
    {"target": "/redirect/p?a=b"},
    {"target": "/modified", "hdrs": [("X-Set", "0"), ("Keep", "k")]},
    {"target": "/split"},
    {"target": "/empty"},
    {"target": "/anything", "host": "Example.COM:80"},
    {"target": "/", "host": "x.wild.com"},
    {"target": "/", "host": "wild.com"},
    {"target": "/", "host": "hdr.example.com", "hdrs": [("version", "two")]},
    {"target": "/", "host": "hdr.example.com", "hdrs": [("version", "one")]},
    {"target": "/", "host": "hdr.example.com"},
    {"target": "/", "host": "a.tls.com", "port": 443, "tls": True, "sni": "a.tls.com"},
    {"target": "/", "host": "b.tls.com", "port": 443, "tls": True, "sni": "a.tls.com"},
    {"target": "/", "host": "c.tls.com", "port": 443, "tls": True, "sni": "c.tls.com"},
    {"target": "/", "port": 8080},
]


def _incoming(spec: dict[str, Any]) -> IncomingRequest:
    return IncomingRequest(
        spec.get("method", "GET"),
        spec["target"],
        spec.get("host", "example.com"),
        list(spec.get("hdrs", [])),
        spec.get("port", 80),
        spec.get("tls", False),
        spec.get("sni"),
    )


def test_every_decision_equals_plan_first_time_and_when_remembered() -> None:
    t = _mixed_table()
    memo = RouteMemo()
    for rounds in range(3):
        for i, spec in enumerate(REQUESTS):
            for seed in range(4):  # weighted choices draw from the RNG the same way
                expected = plan(t, _incoming(spec), random.Random(seed * 100 + i))
                got = memo.plan(t, _incoming(spec), random.Random(seed * 100 + i))
                assert got == expected, (rounds, spec)


def test_header_dependent_and_unrouted_requests_are_not_remembered() -> None:
    t = _mixed_table()
    memo = RouteMemo()
    for spec in REQUESTS:
        memo.plan(t, _incoming(spec), random.Random(1))
    remembered = {key[3:]: value for key, value in memo.matches.items()}
    assert remembered[("hdr.example.com", "GET", "/")] is None
    assert remembered[("example.com", "GET", "/exact")] is not None
    assert remembered[("example.com", "GET", "/api/x?q=1")] is not None
    assert remembered[("x.wild.com", "GET", "/")] is not None
    assert remembered[("wild.com", "GET", "/")] is not None  # the catch-all listener
    # misdirected (421) and no-listener requests always go through plan()
    misdirected = [k for k in memo.matches if k[3] == "b.tls.com"]
    assert misdirected and memo.matches[misdirected[0]] is None
    assert all(v is None for k, v in memo.matches.items() if k[0] == 8080)


def test_a_new_table_forgets_what_the_old_one_matched() -> None:
    memo = RouteMemo()
    req = {"target": "/split"}
    first = _mixed_table(v2_weight=1)
    memo.plan(first, _incoming(req), random.Random(1))
    only_v2 = _mixed_table(v2_weight=1000)
    names = set()
    for seed in range(20):
        d = memo.plan(only_v2, _incoming(req), random.Random(seed))
        assert d == plan(only_v2, _incoming(req), random.Random(seed))
        assert isinstance(d, Forward)
        names.add(d.backend.name)
    assert names == {"v2"}
    assert memo.table is only_v2


def test_a_grpc_listener_is_never_remembered() -> None:
    grpc_route = {
        "kind": "GRPCRoute",
        "namespace": "ns",
        "name": "g",
        "creationTimestamp": "2026-01-01T00:00:00Z",
        "hostnames": [],
        "rules": [{"index": 0, "matches": [], "filters": [], "backends": [backend("grpc")]}],
    }
    t = table(listener("l", [route("r", [rule(0, ["v1"])]), grpc_route]))
    memo = RouteMemo()
    for content_type in ("text/plain", "application/grpc", "text/plain"):
        spec = {"target": "/pkg.Svc/M", "method": "POST", "hdrs": [("content-type", content_type)]}
        got = memo.plan(t, _incoming(spec), random.Random(3))
        assert got == plan(t, _incoming(spec), random.Random(3))
        assert isinstance(got, Forward)
        assert got.backend.name == ("grpc" if content_type == "application/grpc" else "v1")
    assert set(memo.matches.values()) == {None}


def test_the_memo_stays_bounded() -> None:
    t = _mixed_table()
    memo = RouteMemo()
    for i in range(MEMO_LIMIT + 10):
        memo.plan(t, _incoming({"target": f"/anything?n={i}"}), random.Random(1))
        assert len(memo.matches) <= MEMO_LIMIT
    d = memo.plan(t, _incoming({"target": "/anything?n=1"}), random.Random(1))
    assert isinstance(d, Forward) and d.backend.name == "v3"
