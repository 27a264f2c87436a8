"""Routing engine: listener selection, isolation, 421, precedence, filters, backends."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from reference_impl.proxy.filters import origin_allowed, replace_prefix
from reference_impl.proxy.plan import Decision, Forward, IncomingRequest, Respond, plan
from reference_impl.proxy.routing import CompiledTable, normalize_host
from reference_impl.routing_table import parse

# ----------------------------------------------------------------- table builders


def backend(
    name: str, weight: int = 1, valid: bool = True, endpoints: bool = True, **extra: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "weight": weight,
        "valid": valid,
        "appProtocol": None,
        "endpoints": [{"ip": "127.0.0.1", "port": 9}] if endpoints else [],
        "filters": extra.get("filters", []),
    }


def rule(
    index: int,
    backends: list[str] | list[dict[str, Any]],
    matches: list[dict[str, Any]] | None = None,
    filters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "index": index,
        "matches": matches or [],
        "filters": filters or [],
        "backends": [b if isinstance(b, dict) else backend(b) for b in backends],
    }


def route(
    name: str,
    rules: list[dict[str, Any]],
    hostnames: list[str] | None = None,
    ts: str = "2026-01-01T00:00:00Z",
    ns: str = "ns",
) -> dict[str, Any]:
    return {
        "kind": "HTTPRoute",
        "namespace": ns,
        "name": name,
        "creationTimestamp": ts,
        "hostnames": hostnames or [],
        "rules": rules,
    }


def listener(
    name: str,
    routes: list[dict[str, Any]],
    hostname: str | None = None,
    port: int = 80,
    protocol: str = "HTTP",
) -> dict[str, Any]:
    tls = None
    if protocol == "HTTPS":
        tls = {"mode": "Terminate", "certificates": [{"certPem": "x", "keyPem": "y"}]}
    return {
        "name": name,
        "port": port,
        "protocol": protocol,
        "hostname": hostname,
        "tls": tls,
        "routes": routes,
    }


def table(*listeners: dict[str, Any]) -> CompiledTable:
    return CompiledTable(
        parse(
            {"version": 1, "gateway": {"namespace": "g", "name": "g"}, "listeners": list(listeners)}
        )
    )


def prefix(value: str, **more: Any) -> dict[str, Any]:
    return {"path": {"type": "PathPrefix", "value": value}, **more}


def exact(value: str, **more: Any) -> dict[str, Any]:
    return {"path": {"type": "Exact", "value": value}, **more}


def headers(**kv: str) -> list[dict[str, str]]:
    return [{"name": k.replace("_", "-"), "value": v} for k, v in kv.items()]


def send(
    t: CompiledTable,
    target: str = "/",
    host: str = "example.com",
    method: str = "GET",
    hdrs: list[tuple[str, str]] | None = None,
    port: int = 80,
    tls: bool = False,
    sni: str | None = None,
    seed: int = 1,
) -> Decision:
    req = IncomingRequest(method, target, host, list(hdrs or []), port, tls, sni)
    return plan(t, req, random.Random(seed))


def served_by(d: Decision) -> str:
    if isinstance(d, Forward):
        return d.backend.name
    return str(d.status)


# ------------------------------------------------------------------ listeners


def test_listener_hostname_matching() -> None:
    t = table(
        listener("l1", [route("r1", [rule(0, ["v1"])])], "bar.com"),
        listener("l2", [route("r2", [rule(0, ["v2"])])], "foo.bar.com"),
        listener("l3", [route("r3", [rule(0, ["v3"])])], "*.bar.com"),
        listener("l4", [route("r4", [rule(0, ["v3"])])], "*.foo.com"),
    )
    cases = {
        "bar.com": "v1",
        "foo.bar.com": "v2",
        "baz.bar.com": "v3",
        "multiple.prefixes.bar.com": "v3",
        "multiple.prefixes.foo.com": "v3",
        "foo.com": "404",
        "no.matching.host": "404",
        "BAR.com.:8080": "v1",
    }
    for host, expected in cases.items():
        assert served_by(send(t, host=host)) == expected, host


def test_listener_isolation() -> None:
    names = [
        "empty-hostname",
        "wildcard-example-com",
        "wildcard-foo-example-com",
        "abc-foo-example-com",
    ]
    hosts = [None, "*.example.com", "*.foo.example.com", "abc.foo.example.com"]
    route_hosts = ["bar.com", "*.example.com", "*.foo.example.com"]
    for with_intersection in (False, True):
        lsts = []
        for name, h in zip(names, hosts, strict=True):
            rh: list[str] = []
            if with_intersection:
                rh = [
                    x
                    for x in route_hosts
                    if h is None or x == h or (h.startswith("*.") and x.endswith(h[1:]))
                ]
                if h == "abc.foo.example.com":
                    rh = ["abc.foo.example.com"]
                elif h == "*.example.com":
                    rh = ["*.example.com", "*.foo.example.com"]
            lsts.append(
                listener(name, [route(name, [rule(0, ["v1"], [prefix("/" + name)])], rh)], h)
            )
        t = table(*lsts)
        for host, own in [
            ("bar.com", 0),
            ("bar.example.com", 1),
            ("bar.foo.example.com", 2),
            ("abc.foo.example.com", 3),
        ]:
            for i, name in enumerate(names):
                expected = "v1" if i == own else "404"
                assert served_by(send(t, "/" + name, host)) == expected, (host, name)


def test_https_misdirected_requests() -> None:
    def https(name: str, host: str | None, rh: str, b: str) -> dict[str, Any]:
        return listener(name, [route(name, [rule(0, [b])], [rh])], host, 443, "HTTPS")

    t = table(
        https("https", None, "example.org", "v1"),
        https("https-with-hostname", "second-example.org", "second-example.org", "v2"),
        https("wild", "*.wildcard.org", "*.wildcard.org", "v3"),
        https("fourth", "fourth-example.wildcard.org", "fourth-example.wildcard.org", "v1"),
    )
    rows = [
        ("example.org", "example.org", "v1"),
        ("example.org", "second-example.org", "421"),
        ("example.org", "unknown-example.org", "404"),
        ("second-example.org", "second-example.org", "v2"),
        ("second-example.org", "example.org", "421"),
        ("second-example.org", "unknown-example.org", "421"),
        ("third-example.wildcard.org", "third-example.wildcard.org", "v3"),
        ("third-example.wildcard.org", "fith-example.wildcard.org", "v3"),
        ("third-example.wildcard.org", "fourth-example.wildcard.org", "421"),
        ("third-example.wildcard.org", "second-example.org", "421"),
        ("fourth-example.wildcard.org", "fourth-example.wildcard.org", "v1"),
        ("fourth-example.wildcard.org", "fith-example.wildcard.org", "421"),
        ("unknown-example.org", "example.org", "v1"),
        ("unknown-example.org", "unknown-example.org", "404"),
    ]
    for sni, host, expected in rows:
        assert served_by(send(t, host=host, port=443, tls=True, sni=sni)) == expected, (sni, host)


def test_unknown_port_is_404() -> None:
    t = table(listener("l", [route("r", [rule(0, ["v1"])])]))
    assert served_by(send(t, port=81)) == "404"


def test_normalize_host() -> None:
    assert normalize_host("Example.COM.:80") == "example.com"
    assert normalize_host("[::1]:8080") == "[::1]"
    assert normalize_host("very.specific.com:1234") == "very.specific.com"


# ----------------------------------------------------------------- precedence


def test_route_hostname_precedence_then_path() -> None:
    t = table(
        listener(
            "l",
            [
                route("wild", [rule(0, ["wild"], [prefix("/long/path")])], ["*.example.com"]),
                route("exact", [rule(0, ["exact"])], ["foo.example.com"]),
                route("any", [rule(0, ["any"], [exact("/long/path/x")])]),
            ],
        )
    )
    assert served_by(send(t, "/long/path", "foo.example.com")) == "exact"
    assert served_by(send(t, "/long/path", "bar.example.com")) == "wild"
    assert served_by(send(t, "/long/path/x", "other.com")) == "any"
    assert served_by(send(t, "/other", "bar.example.com")) == "404"


def test_path_match_order() -> None:
    t = table(
        listener(
            "l",
            [
                route(
                    "r",
                    [
                        rule(0, ["v1"], [exact("/match")]),
                        rule(1, ["v2"], [exact("/match/exact")]),
                        rule(2, ["v3"], [exact("/match/exact/one")]),
                        rule(3, ["v3"], [prefix("/match/")]),
                        rule(4, ["v1"], [prefix("/match/prefix/")]),
                        rule(5, ["v2"], [prefix("/match/prefix/one")]),
                    ],
                )
            ],
        )
    )
    expected = {
        "/match/exact/one": "v3",
        "/match/exact": "v2",
        "/match": "v1",
        "/match/prefix/one/any": "v2",
        "/match/prefix/any": "v1",
        "/match/any": "v3",
        "/matchx": "404",
    }
    for path, b in expected.items():
        assert served_by(send(t, path)) == b, path


def test_prefix_is_segment_wise_and_exact_is_exact() -> None:
    t = table(
        listener(
            "l",
            [
                route(
                    "r",
                    [
                        rule(0, ["v1"], [prefix("/")]),
                        rule(1, ["v2"], [prefix("/v2")]),
                        rule(2, ["ex"], [exact("/one")]),
                    ],
                )
            ],
        )
    )
    assert served_by(send(t, "/v2example")) == "v1"
    assert served_by(send(t, "/foo/v2/example")) == "v1"
    assert served_by(send(t, "/v2/")) == "v2"
    assert served_by(send(t, "/v2?x=1")) == "v2"
    assert served_by(send(t, "/one")) == "ex"
    assert served_by(send(t, "/one/")) == "v1"
    assert served_by(send(t, "/One")) == "v1"


def test_regex_ranks_between_exact_and_prefix() -> None:
    t = table(
        listener(
            "l",
            [
                route(
                    "r",
                    [
                        rule(0, ["prefix"], [prefix("/api/v1/items")]),
                        rule(
                            1,
                            ["regex"],
                            [{"path": {"type": "RegularExpression", "value": "/api/v[0-9]+/.*"}}],
                        ),
                        rule(2, ["exact"], [exact("/api/v1/items")]),
                    ],
                )
            ],
        )
    )
    assert served_by(send(t, "/api/v1/items")) == "exact"
    assert served_by(send(t, "/api/v1/items/3")) == "regex"
    assert served_by(send(t, "/api/vx/items/3")) == "404"


def test_header_matching_and_counts() -> None:
    t = table(
        listener(
            "l",
            [
                route(
                    "r",
                    [
                        rule(0, ["v1"], [prefix("/", headers=headers(version="one"))]),
                        rule(1, ["v2"], [prefix("/", headers=headers(version="two"))]),
                        rule(
                            2, ["v1"], [prefix("/", headers=headers(version="two", color="orange"))]
                        ),
                        rule(
                            3,
                            ["v1"],
                            [
                                prefix("/", headers=headers(color="blue")),
                                prefix("/", headers=headers(color="green")),
                            ],
                        ),
                        rule(
                            4,
                            ["v2"],
                            [
                                prefix("/", headers=headers(color="red")),
                                prefix("/", headers=headers(color="yellow")),
                            ],
                        ),
                    ],
                )
            ],
        )
    )
    cases: list[tuple[list[tuple[str, str]], str]] = [
        ([("Version", "one")], "v1"),
        ([("Version", "two")], "v2"),
        ([("Version", "two"), ("Color", "orange")], "v1"),
        ([("Color", "blue")], "v1"),
        ([("Color", "green")], "v1"),
        ([("Color", "red")], "v2"),
        ([("Color", "yellow")], "v2"),
        ([("Version", "two"), ("Color", "blue")], "v2"),
        ([("Color", "orange")], "404"),
        ([("Some-Other-Header", "one")], "404"),
        ([("Version", "ONE")], "404"),
    ]
    for hdrs, expected in cases:
        assert served_by(send(t, hdrs=hdrs)) == expected, hdrs


def test_header_regex_and_repeated_values() -> None:
    t = table(
        listener(
            "l",
            [
                route(
                    "r",
                    [
                        rule(
                            0,
                            ["rx"],
                            [
                                prefix(
                                    "/",
                                    headers=[
                                        {
                                            "name": "x-id",
                                            "type": "RegularExpression",
                                            "value": "^ab[0-9]$",
                                        }
                                    ],
                                )
                            ],
                        ),
                        rule(1, ["join"], [prefix("/", headers=headers(x_multi="a,b"))]),
                    ],
                )
            ],
        )
    )
    assert served_by(send(t, hdrs=[("X-Id", "ab7")])) == "rx"
    assert served_by(send(t, hdrs=[("X-Id", "zz")])) == "404"
    assert served_by(send(t, hdrs=[("X-Multi", "a"), ("x-multi", "b")])) == "join"


def test_method_and_query_precedence() -> None:
    t = table(
        listener(
            "l",
            [
                route(
                    "r",
                    [
                        rule(
                            0,
                            ["v1"],
                            [{"path": {"type": "PathPrefix", "value": "/"}, "method": "POST"}],
                        ),
                        rule(
                            1,
                            ["v2"],
                            [{"path": {"type": "PathPrefix", "value": "/"}, "method": "GET"}],
                        ),
                        rule(2, ["p5"], [prefix("/path5")]),
                        rule(3, ["m-patch"], [{"method": "PATCH"}]),
                        rule(4, ["hdr"], [prefix("/", headers=headers(version="four"))]),
                        rule(
                            5, ["m-hdr"], [{"method": "PATCH", "headers": headers(version="four")}]
                        ),
                        rule(
                            6,
                            ["q"],
                            [prefix("/", queryParams=[{"name": "animal", "value": "hydra"}])],
                        ),
                    ],
                )
            ],
        )
    )
    assert served_by(send(t, method="HEAD")) == "404"
    assert served_by(send(t, method="GET")) == "v2"
    assert served_by(send(t, "/path5", method="PATCH")) == "p5"
    assert served_by(send(t, "/", method="PATCH", hdrs=[("version", "four")])) == "m-hdr"
    assert served_by(send(t, "/?animal=hydra", method="PUT", hdrs=[("version", "four")])) == "hdr"
    assert served_by(send(t, "/?animal=hydra", method="PUT")) == "q"
    assert served_by(send(t, "/path5?animal=hydra", method="PUT")) == "p5"


def test_query_param_matching() -> None:
    def q(**kv: str) -> list[dict[str, str]]:
        return [{"name": k, "value": v} for k, v in kv.items()]

    t = table(
        listener(
            "l",
            [
                route(
                    "r",
                    [
                        rule(0, ["v1"], [prefix("/", queryParams=q(animal="whale"))]),
                        rule(1, ["v2"], [prefix("/", queryParams=q(animal="dolphin"))]),
                        rule(
                            2,
                            ["v3"],
                            [
                                prefix("/", queryParams=q(animal="dolphin", color="blue")),
                                prefix("/", queryParams=q(ANIMAL="Whale")),
                            ],
                        ),
                    ],
                )
            ],
        )
    )
    cases = {
        "/?animal=whale": "v1",
        "/?animal=dolphin": "v2",
        "/?animal=dolphin&color=blue": "v3",
        "/?ANIMAL=Whale": "v3",
        "/?animal=whale&otherparam=irrelevant": "v1",
        "/?animal=dolphin&color=yellow": "v2",
        "/?color=blue": "404",
        "/?animal=dog": "404",
        "/?animal=whaledolphin": "404",
        "/": "404",
        "/?animal=whale&animal=dolphin": "v1",
    }
    for target, expected in cases.items():
        assert served_by(send(t, target)) == expected, target


def test_ties_break_on_age_then_name_then_rule_order() -> None:
    t = table(
        listener(
            "l",
            [
                route("b-new", [rule(0, ["new"], [prefix("/a")])], ts="2026-02-01T00:00:00Z"),
                route("c-old", [rule(0, ["old"], [prefix("/a")])], ts="2026-01-01T00:00:00Z"),
                route("b-same", [rule(0, ["b-same"], [prefix("/b")])], ts="2026-01-01T00:00:00Z"),
                route("a-same", [rule(0, ["a-same"], [prefix("/b")])], ts="2026-01-01T00:00:00Z"),
                route(
                    "rules",
                    [rule(0, ["first"], [prefix("/c")]), rule(1, ["second"], [prefix("/c")])],
                    ts="2026-01-01T00:00:00Z",
                ),
            ],
        )
    )
    assert served_by(send(t, "/a")) == "old"
    assert served_by(send(t, "/b")) == "a-same"
    assert served_by(send(t, "/c")) == "first"


def test_matching_across_routes_respects_route_hostnames() -> None:
    t = table(
        listener(
            "l",
            [
                route("r1", [rule(0, ["v1"])], ["example.com", "example.net"]),
                route(
                    "r2",
                    [rule(0, ["v2"], [prefix("/v2"), prefix("/", headers=headers(version="two"))])],
                    ["example.com"],
                ),
            ],
        )
    )
    assert served_by(send(t, "/v2", "example.net")) == "v1"
    assert served_by(send(t, "/v2", "example.com")) == "v2"
    assert served_by(send(t, "/v2/example", "example.com")) == "v2"
    assert served_by(send(t, "/", "example.com", hdrs=[("Version", "two")])) == "v2"
    assert served_by(send(t, "/", "example.org")) == "404"


# ------------------------------------------------------------------- backends


def test_weights_and_zero_weight() -> None:
    t = table(
        listener(
            "l", [route("r", [rule(0, [backend("v1", 70), backend("v2", 30), backend("v3", 0)])])]
        )
    )
    rng = random.Random(7)
    counts: Counter[str] = Counter()
    for _ in range(4000):
        d = plan(t, IncomingRequest("GET", "/", "h", [], 80), rng)
        counts[served_by(d)] += 1
    assert counts["v3"] == 0
    assert abs(counts["v1"] / 4000 - 0.7) < 0.05
    assert abs(counts["v2"] / 4000 - 0.3) < 0.05


def test_failure_statuses() -> None:
    t = table(
        listener(
            "l",
            [
                route(
                    "r",
                    [
                        rule(0, [], [prefix("/none")]),
                        rule(1, [backend("bad", valid=False)], [prefix("/invalid")]),
                        rule(2, [backend("empty", endpoints=False)], [prefix("/empty")]),
                        rule(3, [backend("z", weight=0)], [prefix("/zero")]),
                        rule(4, ["ok"], [prefix("/ok")]),
                    ],
                )
            ],
        )
    )
    assert served_by(send(t, "/none")) == "500"
    assert served_by(send(t, "/invalid")) == "500"
    assert served_by(send(t, "/empty")) == "503"
    assert served_by(send(t, "/zero")) == "500"
    assert served_by(send(t, "/ok")) == "ok"
    assert served_by(send(t, "/nothing")) == "404"


def test_partially_invalid_backends_share_by_weight() -> None:
    t = table(
        listener("l", [route("r", [rule(0, [backend("good", 1), backend("bad", 1, valid=False)])])])
    )
    rng = random.Random(3)
    outcomes = Counter(
        served_by(plan(t, IncomingRequest("GET", "/", "h", [], 80), rng)) for _ in range(2000)
    )
    assert set(outcomes) == {"good", "500"}
    assert abs(outcomes["500"] / 2000 - 0.5) < 0.05


# -------------------------------------------------------------------- filters


def hm(
    kind: str,
    set_: dict[str, str] | None = None,
    add: dict[str, str] | None = None,
    remove: list[str] | None = None,
) -> dict[str, Any]:
    key = "requestHeaderModifier" if kind == "RequestHeaderModifier" else "responseHeaderModifier"
    return {
        "type": kind,
        key: {
            "set": [{"name": k, "value": v} for k, v in (set_ or {}).items()],
            "add": [{"name": k, "value": v} for k, v in (add or {}).items()],
            "remove": remove or [],
        },
    }


def test_request_header_modifier() -> None:
    f = hm(
        "RequestHeaderModifier",
        {"X-Header-Set": "set-overwrites-values"},
        {"X-Header-Add": "add-appends-values"},
        ["X-Header-Remove"],
    )
    t = table(listener("l", [route("r", [rule(0, ["v1"], filters=[f])])]))
    d = send(
        t,
        hdrs=[
            ("x-header-set", "old"),
            ("X-Header-Add", "some-other-value"),
            ("x-header-remove", "v"),
            ("Keep", "k"),
        ],
    )
    assert isinstance(d, Forward)
    assert d.headers == [
        ("X-Header-Add", "some-other-value"),
        ("Keep", "k"),
        ("X-Header-Set", "set-overwrites-values"),
        ("X-Header-Add", "add-appends-values"),
    ]


def test_backend_filters_apply_only_to_the_chosen_backend() -> None:
    b1 = backend("v1", filters=[hm("RequestHeaderModifier", {"Backend": "v1"})])
    b2 = backend("v2", filters=[hm("RequestHeaderModifier", {"Backend": "v2"})])
    t = table(listener("l", [route("r", [rule(0, [b1, b2])])]))
    rng = random.Random(11)
    seen = set()
    for _ in range(200):
        d = plan(t, IncomingRequest("GET", "/", "h", [], 80), rng)
        assert isinstance(d, Forward)
        assert dict(d.headers)["Backend"] == d.backend.name
        seen.add(d.backend.name)
    assert seen == {"v1", "v2"}


def test_response_header_modifier_is_carried() -> None:
    t = table(
        listener(
            "l",
            [route("r", [rule(0, ["v1"], filters=[hm("ResponseHeaderModifier", {"X-A": "1"})])])],
        )
    )
    d = send(t)
    assert isinstance(d, Forward) and d.response_modifiers[0].set == (("X-A", "1"),)


def redirect(**rd: Any) -> dict[str, Any]:
    return {"type": "RequestRedirect", "requestRedirect": rd}


@pytest.mark.parametrize(
    ("listener_port", "protocol", "rd", "location"),
    [
        (80, "HTTP", {}, "http://example.org/p?q=1"),
        (80, "HTTP", {"port": 80}, "http://example.org/p?q=1"),
        (80, "HTTP", {"port": 8080}, "http://example.org:8080/p?q=1"),
        (80, "HTTP", {"scheme": "https"}, "https://example.org/p?q=1"),
        (80, "HTTP", {"scheme": "https", "port": 443}, "https://example.org/p?q=1"),
        (80, "HTTP", {"scheme": "https", "port": 8443}, "https://example.org:8443/p?q=1"),
        (8080, "HTTP", {}, "http://example.org:8080/p?q=1"),
        (8080, "HTTP", {"port": 80}, "http://example.org/p?q=1"),
        (8080, "HTTP", {"scheme": "https"}, "https://example.org/p?q=1"),
        (443, "HTTPS", {}, "https://example.org/p?q=1"),
        (443, "HTTPS", {"port": 8443}, "https://example.org:8443/p?q=1"),
        (443, "HTTPS", {"scheme": "http"}, "http://example.org/p?q=1"),
        (443, "HTTPS", {"scheme": "http", "port": 8080}, "http://example.org:8080/p?q=1"),
    ],
)
def test_redirect_port_and_scheme(
    listener_port: int, protocol: str, rd: dict[str, Any], location: str
) -> None:
    t = table(
        listener(
            "l",
            [route("r", [rule(0, [], filters=[redirect(hostname="example.org", **rd)])])],
            port=listener_port,
            protocol=protocol,
        )
    )
    d = send(t, "/p?q=1", "source.example:1234", port=listener_port, tls=protocol == "HTTPS")
    assert isinstance(d, Respond)
    assert (d.status, dict(d.headers)["Location"]) == (302, location)


def test_redirect_paths_and_status() -> None:
    t = table(
        listener(
            "l",
            [
                route(
                    "r",
                    [
                        rule(
                            0,
                            [],
                            [prefix("/original-prefix")],
                            [
                                redirect(
                                    path={
                                        "type": "ReplacePrefixMatch",
                                        "replacePrefixMatch": "/replacement-prefix",
                                    }
                                )
                            ],
                        ),
                        rule(
                            1,
                            [],
                            [prefix("/full")],
                            [
                                redirect(
                                    path={
                                        "type": "ReplaceFullPath",
                                        "replaceFullPath": "/full-path-replacement",
                                    },
                                    statusCode=301,
                                )
                            ],
                        ),
                        rule(2, [], [prefix("/see-other")], [redirect(statusCode=303)]),
                    ],
                )
            ],
        )
    )
    d = send(t, "/original-prefix/lemon", "my.host")
    assert (
        isinstance(d, Respond)
        and dict(d.headers)["Location"] == "http://my.host/replacement-prefix/lemon"
    )
    d = send(t, "/full/path/original", "my.host")
    assert isinstance(d, Respond) and (d.status, dict(d.headers)["Location"]) == (
        301,
        "http://my.host/full-path-replacement",
    )
    assert served_by(send(t, "/full-path-and-host")) == "404"
    d = send(t, "/see-other", "my.host", method="POST")
    assert isinstance(d, Respond) and d.status == 303


@pytest.mark.parametrize(
    ("path", "prefix_", "repl", "out"),
    [
        ("/foo/bar", "/foo", "/xyz", "/xyz/bar"),
        ("/foo/bar", "/foo", "/xyz/", "/xyz/bar"),
        ("/foo/bar", "/foo/", "/xyz", "/xyz/bar"),
        ("/foo/bar", "/foo/", "/xyz/", "/xyz/bar"),
        ("/foo", "/foo", "/xyz", "/xyz"),
        ("/foo/", "/foo", "/xyz", "/xyz/"),
        ("/foo/bar", "/foo", "", "/bar"),
        ("/foo/", "/foo", "", "/"),
        ("/foo", "/foo", "", "/"),
        ("/foo/", "/foo", "/", "/"),
        ("/foo", "/foo", "/", "/"),
    ],
)
def test_replace_prefix_table(path: str, prefix_: str, repl: str, out: str) -> None:
    assert replace_prefix(path, prefix_, repl) == out


def test_url_rewrite_host_and_path_keep_query() -> None:
    rw = {
        "type": "URLRewrite",
        "urlRewrite": {
            "hostname": "one.example.org",
            "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/one"},
        },
    }
    full = {
        "type": "URLRewrite",
        "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/one"}},
    }
    t = table(
        listener(
            "l",
            [
                route(
                    "r",
                    [
                        rule(0, ["v1"], [prefix("/prefix/one")], [rw]),
                        rule(1, ["v2"], [prefix("/full")], [full]),
                    ],
                )
            ],
        )
    )
    d = send(t, "/prefix/one/two?x=1", "rewrite.example:8080")
    assert isinstance(d, Forward) and (d.authority, d.target) == ("one.example.org", "/one/two?x=1")
    d = send(t, "/full/one/two", "rewrite.example:8080")
    assert isinstance(d, Forward) and (d.authority, d.target) == ("rewrite.example:8080", "/one")


def test_mirrors_see_request_at_their_position_and_respect_fraction() -> None:
    def mirror(name: str, **p: Any) -> dict[str, Any]:
        return {"type": "RequestMirror", "requestMirror": {"backend": backend(name), **p}}

    filters = [
        mirror("m1"),
        hm("RequestHeaderModifier", {"X-After": "1"}),
        mirror("m2", percent=0),
        mirror("m3", fraction={"numerator": 1, "denominator": 4}),
    ]
    t = table(listener("l", [route("r", [rule(0, ["v1"], filters=filters)])]))
    rng = random.Random(5)
    m3 = 0
    for _ in range(2000):
        d = plan(t, IncomingRequest("GET", "/a?b=c", "h", [], 80), rng)
        assert isinstance(d, Forward)
        names = [m.backend.name for m in d.mirrors]
        assert names[0] == "m1" and "m2" not in names
        assert "X-After" not in dict(d.mirrors[0].headers)
        assert d.mirrors[0].target == "/a?b=c"
        if "m3" in names:
            m3 += 1
            assert dict(d.mirrors[-1].headers)["X-After"] == "1"
    assert abs(m3 / 2000 - 0.25) < 0.04


def test_extension_ref_answers_500() -> None:
    er = {"type": "ExtensionRef", "extensionRef": {"group": "x", "kind": "Y", "name": "z"}}
    t = table(listener("l", [route("r", [rule(0, ["v1"], filters=[er])])]))
    assert served_by(send(t)) == "500"


# ----------------------------------------------------------------------- CORS


def cors_filter(**c: Any) -> dict[str, Any]:
    return {"type": "CORS", "cors": c}


CORS1 = cors_filter(
    allowOrigins=["https://www.foo.com", "https://*.bar.com"],
    allowMethods=["GET", "OPTIONS"],
    allowHeaders=["x-header-1", "x-header-2"],
    exposeHeaders=["x-header-3", "x-header-4"],
    allowCredentials=True,
    maxAge=3600,
)


def test_origin_matching() -> None:
    allowed = ["https://www.foo.com", "https://*.bar.com", "http://x.com:8080"]
    assert origin_allowed(allowed, "https://www.foo.com")
    assert origin_allowed(allowed, "https://www.foo.com:443")
    assert origin_allowed(allowed, "https://xpto.www.bar.com")
    assert not origin_allowed(allowed, "https://bar.com")
    assert not origin_allowed(allowed, "http://www.foo.com")
    assert not origin_allowed(allowed, "https://foobar.com")
    assert origin_allowed(allowed, "http://x.com:8080")
    assert not origin_allowed(allowed, "http://x.com")
    assert origin_allowed(["*"], "https://foobar.com:12345")


def test_cors_preflight_allowed_and_denied() -> None:
    t = table(listener("l", [route("r", [rule(0, ["v1"], filters=[CORS1])])]))
    pre = [("Origin", "https://xpto.www.bar.com"), ("Access-Control-Request-Method", "GET")]
    d = send(t, method="OPTIONS", hdrs=pre)
    assert isinstance(d, Respond) and d.status in (200, 204)
    h = dict(d.headers)
    assert h["Access-Control-Allow-Origin"] == "https://xpto.www.bar.com"
    assert h["Access-Control-Allow-Methods"].replace(" ", "") == "GET,OPTIONS"
    assert h["Access-Control-Allow-Headers"].replace(" ", "") == "x-header-1,x-header-2"
    assert h["Access-Control-Expose-Headers"].replace(" ", "") == "x-header-3,x-header-4"
    assert h["Access-Control-Max-Age"] == "3600"
    assert h["Access-Control-Allow-Credentials"] == "true"
    assert "Content-Type" not in h
    d = send(
        t,
        method="OPTIONS",
        hdrs=[("Origin", "https://foobar.com"), ("Access-Control-Request-Method", "GET")],
    )
    assert isinstance(d, Respond) and not any(k.startswith("Access-Control") for k, _ in d.headers)


def test_cors_actual_requests() -> None:
    t = table(listener("l", [route("r", [rule(0, ["v1"], filters=[CORS1])])]))
    d = send(t, hdrs=[("Origin", "https://www.foo.com")])
    assert isinstance(d, Forward) and d.cors_headers is not None
    assert dict(d.cors_headers)["Access-Control-Allow-Origin"] == "https://www.foo.com"
    d = send(t, hdrs=[("Origin", "https://foobar.com")])
    assert isinstance(d, Forward) and d.cors_headers == []
    d = send(t)
    assert isinstance(d, Forward) and d.cors_headers == []


def test_cors_wildcards() -> None:
    star_creds = cors_filter(
        allowOrigins=["*"],
        allowMethods=["*"],
        allowHeaders=["*"],
        exposeHeaders=["*"],
        allowCredentials=True,
    )
    star = cors_filter(allowOrigins=["*"], allowMethods=["PUT"])
    t = table(
        listener(
            "l",
            [
                route(
                    "r",
                    [
                        rule(0, ["v1"], [prefix("/creds")], [star_creds]),
                        rule(1, ["v1"], [prefix("/plain")], [star]),
                    ],
                )
            ],
        )
    )
    pre = [
        ("Origin", "https://other.foo.com"),
        ("Access-Control-Request-Method", "PUT"),
        ("Access-Control-Request-Headers", "x-a, x-b"),
    ]
    d = send(t, "/creds", method="OPTIONS", hdrs=pre)
    assert isinstance(d, Respond)
    h = dict(d.headers)
    assert (h["Access-Control-Allow-Origin"], h["Access-Control-Allow-Methods"]) == (
        "https://other.foo.com",
        "PUT",
    )
    assert (
        h["Access-Control-Allow-Headers"] == "x-a, x-b"
        and h["Access-Control-Allow-Credentials"] == "true"
    )
    assert "Access-Control-Expose-Headers" not in h
    d = send(t, "/plain", method="OPTIONS", hdrs=pre)
    assert isinstance(d, Respond)
    h = dict(d.headers)
    assert (
        h["Access-Control-Allow-Methods"] == "PUT" and "Access-Control-Allow-Credentials" not in h
    )
    # a credentialed request on a rule without allowCredentials gets no CORS headers
    d = send(t, "/plain", hdrs=[("Origin", "https://a.com"), ("Cookie", "s=1")])
    assert isinstance(d, Forward) and d.cors_headers == []


def test_backend_level_rewrite_and_redirect() -> None:
    rewrite = {
        "type": "URLRewrite",
        "urlRewrite": {
            "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/rewritten-prefix"}
        },
    }
    redirect = {
        "type": "RequestRedirect",
        "requestRedirect": {
            "path": {"type": "ReplaceFullPath", "replaceFullPath": "/redirected-full"}
        },
    }
    t = table(
        listener(
            "l",
            [
                route(
                    "r",
                    [
                        rule(0, [backend("rw", filters=[rewrite])], [prefix("/prefix")]),
                        rule(1, [backend("rd", filters=[redirect])], [prefix("/full")]),
                    ],
                )
            ],
        )
    )
    d = send(t, "/prefix/original", "h")
    assert isinstance(d, Forward) and d.target == "/rewritten-prefix/original"
    d = send(t, "/full/original", "h")
    assert isinstance(d, Respond) and (d.status, dict(d.headers)["Location"]) == (
        302,
        "http://h/redirected-full",
    )
