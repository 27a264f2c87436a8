"""Tables built push by push (table_state.advance, CompiledTable with the table before) are the
tables a whole parse and compile of the same document give: same listeners and routes, same
candidates in the same precedence order, same refusals."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

import reference_impl.proxy.routing as routing
import reference_impl.proxy.table_state as table_state
from reference_impl.proxy.routing import CompiledTable
from reference_impl.proxy.table_state import TableState, advance
from reference_impl.routing_table import RouteParseCache, RoutingTable, parse
from reference_impl.table_patch import BaseMismatch, TableDocument, apply_patch
from tests.unit.test_proxy_support import (
    EchoBackend,
    ProxyProcess,
    backend_ref,
    free_port,
    http1,
    http_listener,
    route,
    rule,
    running,
)

GATEWAY = {"namespace": "gw", "name": "gw"}
HOSTNAMES = ["a.example.com", "b.example.com", "*.example.com", "*.b.example.com", "c.test"]
PROBE_HOSTS = ["a.example.com", "b.example.com", "x.b.example.com", "z.example.com", "c.test", "q"]
TIMES = ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"]  # few: ties go on to namespace/name
PATHS = [
    {"type": "PathPrefix", "value": "/"},
    {"type": "PathPrefix", "value": "/api"},
    {"type": "PathPrefix", "value": "/api/"},
    {"type": "Exact", "value": "/api/v1"},
    {"type": "RegularExpression", "value": "/re/[0-9]+"},
]


def _backend(rng: random.Random) -> dict[str, Any]:
    port = rng.choice([8080, 8081, 8082])
    return {
        "name": f"ns/svc-{port}:80",
        "weight": rng.choice([0, 1, 3]),
        "valid": True,
        "appProtocol": None,
        "endpoints": [{"ip": f"10.0.0.{rng.randint(1, 4)}", "port": port}],
        "filters": [],
    }


def _http_match(rng: random.Random) -> dict[str, Any]:
    match: dict[str, Any] = {"path": rng.choice(PATHS)}
    if rng.random() < 0.3:
        match["method"] = rng.choice(["GET", "POST"])
    if rng.random() < 0.3:
        match["headers"] = [{"type": "Exact", "name": "x-v", "value": rng.choice("12")}]
    if rng.random() < 0.2:
        match["queryParams"] = [{"type": "Exact", "name": "q", "value": "1"}]
    return match


def _grpc_match(rng: random.Random) -> dict[str, Any]:
    method = rng.choice(
        [None, {"type": "Exact", "service": "pkg.Echo", "method": rng.choice([None, "Echo"])}]
    )
    headers = [{"type": "Exact", "name": "x-v", "value": "1"}] if rng.random() < 0.3 else []
    return {"method": method, "headers": headers}


def _identity(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.05:  # "namespace/name" spelled alike by two routes: their keys tie
        return rng.choice([("ns", "x/y"), ("ns/x", "y")])
    return rng.choice(["ns", "other"]), f"r{rng.randint(0, 9)}"


def _hostnames(rng: random.Random) -> list[str]:
    return rng.sample(HOSTNAMES, rng.choice([0, 1, 1, 2]))


def http_entry(rng: random.Random) -> dict[str, Any]:
    namespace, name = _identity(rng)
    mirror = {
        "type": "RequestMirror",
        "requestMirror": {"backend": _backend(rng), "percent": 50},
    }
    rules = [
        {
            "index": i,
            "name": None,
            "matches": [_http_match(rng) for _ in range(rng.randint(1, 2))],
            "filters": [mirror] if rng.random() < 0.2 else [],
            "backends": [_backend(rng) for _ in range(rng.randint(1, 2))],
            "timeouts": None,
            "retry": None,
        }
        for i in range(rng.randint(1, 3))
    ]
    return {
        "kind": "HTTPRoute",
        "namespace": namespace,
        "name": name,
        "creationTimestamp": rng.choice(TIMES),
        "hostnames": _hostnames(rng),
        "rules": rules,
    }


def grpc_entry(rng: random.Random) -> dict[str, Any]:
    namespace, name = _identity(rng)
    rules = [
        {
            "index": i,
            "name": None,
            "matches": [_grpc_match(rng) for _ in range(rng.randint(1, 2))],
            "filters": [],
            "backends": [_backend(rng)],
        }
        for i in range(rng.randint(1, 2))
    ]
    return {
        "kind": "GRPCRoute",
        "namespace": namespace,
        "name": name,
        "creationTimestamp": rng.choice(TIMES),
        "hostnames": _hostnames(rng),
        "rules": rules,
    }


def tls_entry(rng: random.Random) -> dict[str, Any]:
    namespace, name = _identity(rng)
    return {
        "kind": "TLSRoute",
        "namespace": namespace,
        "name": name,
        "creationTimestamp": rng.choice(TIMES),
        "hostnames": _hostnames(rng),
        "ruleName": None,
        "backends": [_backend(rng)],
    }


def _settings(name: str, rng: random.Random) -> dict[str, Any]:
    """A listener's own fields; the HTTP listener on :80 changes hostname now and then."""
    if name == "tls":
        tls = {"mode": "Passthrough", "certificates": []}
        return {"name": "tls", "port": 443, "protocol": "TLS", "hostname": None, "tls": tls}
    if name == "plain":
        return {"name": "plain", "port": 80, "protocol": "HTTP", "hostname": None, "tls": None}
    hostname = rng.choice(["*.example.com", "a.example.com"])
    return {"name": "web", "port": 80, "protocol": "HTTP", "hostname": hostname, "tls": None}


def _entry_for(settings: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    if settings["protocol"] == "TLS":
        return tls_entry(rng)
    if settings["name"] == "web" or rng.random() < 0.7:
        return http_entry(rng)
    return grpc_entry(rng)


def _listeners(rng: random.Random) -> list[str]:
    return ["plain", "web", "tls"] if rng.random() < 0.8 else ["web", "plain", "tls"]


def whole_table(version: int, rng: random.Random) -> dict[str, Any]:
    listeners = []
    for name in _listeners(rng):
        settings = _settings(name, rng)
        routes = [_entry_for(settings, rng) for _ in range(rng.randint(0, 14))]
        listeners.append({**settings, "routes": routes})
    return {"version": version, "gateway": GATEWAY, "listeners": listeners}


def random_patch(base: TableDocument, base_version: int, rng: random.Random) -> dict[str, Any]:
    """A patch of `base`, now and then one that the whole parse refuses."""
    listeners: list[dict[str, Any]] = []
    base_settings = {
        item["name"]: {k: v for k, v in item.items() if k != "routes"}
        for item in base.doc["listeners"]
    }
    for name in base_settings:
        roll = rng.random()
        if roll < 0.05:
            continue  # the listener goes away
        settings = base_settings[name]
        if roll < 0.12:  # new settings: sent whole, as the controller does
            new_settings = _settings(name, rng)
            routes = [copy.deepcopy(e) for e in base.routes[name].values()]
            routes += [_entry_for(new_settings, rng) for _ in range(rng.randint(0, 2))]
            listeners.append({**new_settings, "routes": routes})
            continue
        keys = list(base.routes[name])
        remove = [
            {"kind": k[0], "namespace": k[1], "name": k[2]}
            for k in rng.sample(keys, min(len(keys), rng.choice([0, 0, 1, 2])))
        ]
        if rng.random() < 0.1:
            remove.append({"kind": "HTTPRoute", "namespace": "ns", "name": "absent"})
        updates = [_entry_for(settings, rng) for _ in range(rng.choice([0, 1, 1, 2, 3]))]
        if keys and rng.random() < 0.2:  # an entry sent again as it was
            updates.append(copy.deepcopy(base.routes[name][rng.choice(keys)]))
        if updates and rng.random() < 0.06:
            updates[0]["creationTimestamp"] = "yesterday"
        if settings["protocol"] == "TLS" and rng.random() < 0.04:
            updates.append(http_entry(rng))  # an HTTPRoute cannot attach to a TLS listener
        changes = {"remove": remove, "set": updates}
        roll = rng.random()
        if roll < 0.04:  # new settings with route changes all the same
            settings = _settings(name, rng)
        elif roll < 0.08 and name == "tls":  # kept TLSRoutes (if any) on an HTTP listener
            settings = {**settings, "protocol": "HTTP", "tls": None}
            changes["set"] = []
        listeners.append({**settings, "routeChanges": changes})
    if rng.random() < 0.05:  # listeners in another order
        rng.shuffle(listeners)
    return {
        "baseVersion": base_version,
        "version": base_version + 1,
        "gateway": GATEWAY,
        "listeners": listeners,
    }


def _candidates(compiled: CompiledTable) -> dict[tuple[int, str], Any]:
    """Every ordered candidate list of every listener, and what each probe host sees."""
    out: dict[tuple[int, str], Any] = {}
    for port, pl in compiled.ports.items():
        for c in pl.listeners:
            name = c.listener.name
            out[(port, name)] = (
                c.listener,
                c.entries,
                c.grpc_entries,
                c.tls_entries,
                {host: c.candidates(host) for host in PROBE_HOSTS},
            )
        out[(port, "")] = [c.listener.name for c in pl.listeners]
    out[(0, "endpoints")] = compiled.endpoint_keys()
    return out


def assert_same_compiled(built: CompiledTable, scratch: CompiledTable) -> None:
    mine, theirs = _candidates(built), _candidates(scratch)
    assert mine.keys() == theirs.keys()
    for key in theirs:
        assert mine[key] == theirs[key], f"{key} differs"


def _json(doc: Any) -> Any:
    """A fresh copy as the admin endpoint or a worker would read it."""
    return json.loads(json.dumps(doc))


class Reference:
    """The literal way: apply the patch to the document, parse it whole, compile it whole."""

    def __init__(self) -> None:
        self.document: TableDocument | None = None

    def put(self, doc: dict[str, Any]) -> RoutingTable:
        table = parse(doc)
        self.document = TableDocument.of(doc)
        return table

    def patch(self, patch: dict[str, Any]) -> RoutingTable:
        full = apply_patch(self.document, patch)
        table = parse(full)
        self.document = TableDocument.of(full)
        return table


def run_sequence(seed: int, steps: int = 40) -> int:
    """Random PUTs and patches, both ways, compared after every step; the patches applied."""
    rng = random.Random(seed)
    reference = Reference()
    cache = RouteParseCache()
    doc = whole_table(1, rng)
    state = advance(None, _json(doc), cache, patch=False)
    compiled = CompiledTable(state.table)
    assert state.table == reference.put(_json(doc))
    version, applied = 1, 0
    for _ in range(steps):
        assert reference.document is not None
        if rng.random() < 0.1:  # the controller lost track: the whole table again
            version += 1
            doc = whole_table(version, rng)
            listeners = reference.document.doc["listeners"]
            roll = rng.random()
            if roll < 0.6 and listeners and listeners[0]["routes"]:
                doc = _json(reference.document.doc) | {"version": version}
                routes = doc["listeners"][0]["routes"]
                if roll < 0.3:  # one route twice, differing in a backend: their keys tie
                    twin = copy.deepcopy(routes[0])
                    backends = twin.get("backends") or twin["rules"][0]["backends"]
                    backends[0]["weight"] += 1
                    routes.append(twin)
                else:  # the same entries in another order (ties now order otherwise)
                    routes.reverse()
            expected = reference.put(_json(doc))
            state = advance(state, _json(doc), cache, patch=False)
        else:
            patch = random_patch(reference.document, version, rng)
            try:
                expected = reference.patch(_json(patch))
            except ValueError as exc:
                try:
                    advance(state, _json(patch), cache, patch=True)
                except ValueError as refused:
                    assert str(refused) == str(exc)
                else:
                    raise AssertionError(f"accepted what the whole parse refuses: {exc}")
                continue  # the table in force stays
            state = advance(state, _json(patch), cache, patch=True)
            version += 1
            applied += 1
        assert state.table == expected
        assert reference.document is not None
        assert state.document.doc == reference.document.doc
        assert state.document.routes == reference.document.routes
        compiled = CompiledTable(state.table, compiled)
        assert_same_compiled(compiled, CompiledTable(expected))
    return applied


@pytest.mark.parametrize("seed", range(30))
def test_tables_built_push_by_push_equal_tables_built_whole(seed: int) -> None:
    assert run_sequence(seed) > 10


def test_the_comparison_notices_candidates_kept_for_a_route_by_its_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Were unchanged routes recognised by name rather than by object, a route whose entry
    changed would keep its old candidates: the comparison above must see that."""

    def by_name(route: Any) -> int:
        return hash((route.kind, route.namespace, route.name))

    monkeypatch.setattr(routing, "id", by_name, raising=False)
    failures = 0
    for seed in range(10):
        try:
            run_sequence(seed, steps=25)
        except AssertionError:
            failures += 1
    assert failures >= 5


def test_the_comparison_notices_parsed_entries_kept_by_a_wrong_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Were kept entries looked up under the wrong key (the name without the kind), an
    HTTPRoute and a GRPCRoute of one name would be mixed up: the comparison must see that."""

    def name_only(entry: Any) -> tuple[str, str, str]:
        return ("HTTPRoute", str(entry.get("namespace") or ""), str(entry.get("name") or ""))

    monkeypatch.setattr(table_state, "route_key", name_only)
    failures = 0
    for seed in range(10):
        try:
            run_sequence(seed, steps=25)
        except (AssertionError, KeyError):
            failures += 1
    assert failures >= 3


# ------------------------------------------------------------------ the short ways are taken


def _one_listener(version: int, count: int) -> dict[str, Any]:
    rng = random.Random(7)
    routes = []
    for i in range(count):
        entry = http_entry(rng)
        routes.append({**entry, "name": f"route-{i}", "namespace": "ns"})
    listener = {**_settings("plain", rng), "routes": routes}
    return {"version": version, "gateway": GATEWAY, "listeners": [listener]}


def _set_one(version: int, entry: dict[str, Any]) -> dict[str, Any]:
    settings = _settings("plain", random.Random(0))
    return {
        "baseVersion": version,
        "version": version + 1,
        "gateway": GATEWAY,
        "listeners": [{**settings, "routeChanges": {"remove": [], "set": [entry]}}],
    }


def test_a_patch_parses_only_what_it_sets_and_compiles_only_those_routes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = RouteParseCache()
    state = advance(None, _one_listener(1, 200), cache, patch=False)
    compiled = CompiledTable(state.table)
    whole_parses: list[Any] = []
    monkeypatch.setattr(table_state, "parse", lambda *a: whole_parses.append(a))
    expanded: list[str] = []
    original = routing._http_rows

    def counting(route: Any) -> Any:
        expanded.append(route.name)
        return original(route)

    monkeypatch.setattr(routing, "_http_rows", counting)
    changed = {**state.document.routes["plain"][("HTTPRoute", "ns", "route-5")]}
    changed["hostnames"] = ["moved.example.com"]
    state2 = advance(state, _json(_set_one(1, changed)), cache, patch=True)
    compiled2 = CompiledTable(state2.table, compiled)
    assert whole_parses == []  # the short way
    assert sorted(expanded) == ["route-5", "route-5"]  # out with the old, in with the new
    kept = [r for r in state2.table.listeners[0].routes if r.name != "route-5"]
    before = {r.name: r for r in state.table.listeners[0].routes}
    assert all(r is before[r.name] for r in kept)
    listener = compiled2.ports[80].listeners[0]
    assert listener.candidates("moved.example.com")[0].route.name == "route-5"
    assert state.table.version == 1 and state2.table.version == 2  # the old state is intact


def test_an_invalid_patch_is_refused_as_the_whole_parse_words_it_and_changes_nothing() -> None:
    cache = RouteParseCache()
    state = advance(None, _one_listener(1, 20), cache, patch=False)
    bad = dict(state.document.routes["plain"][("HTTPRoute", "ns", "route-3")])
    bad["rules"] = [{**bad["rules"][0], "timeouts": {"request": "soon"}}]
    patch = _set_one(1, bad)
    with pytest.raises(ValueError) as literal:
        parse(apply_patch(state.document, _json(patch)))
    with pytest.raises(ValueError) as short:
        advance(state, _json(patch), cache, patch=True)
    assert str(short.value) == str(literal.value)
    assert "table.listeners[0].routes[3].rules[0].timeouts.request" in str(short.value)
    with pytest.raises(BaseMismatch):
        advance(state, _json(_set_one(5, bad)), cache, patch=True)
    good = {**bad, "rules": [{**bad["rules"][0], "timeouts": None}]}
    state2 = advance(state, _json(_set_one(1, good)), cache, patch=True)
    assert state2.table == parse(apply_patch(state.document, _json(_set_one(1, good))))


def test_the_parse_cache_follows_patches_so_a_later_put_reuses_patched_entries() -> None:
    cache = RouteParseCache()
    state: TableState = advance(None, _one_listener(1, 20), cache, patch=False)
    entry = {**state.document.routes["plain"][("HTTPRoute", "ns", "route-2")], "hostnames": []}
    state = advance(state, _json(_set_one(1, entry)), cache, patch=True)
    assert len(cache) == 20
    patched = {r.name: r for r in state.table.listeners[0].routes}
    misses = cache.misses
    state = advance(state, _json(state.document.doc) | {"version": 3}, cache, patch=False)
    assert cache.misses == misses  # the PUT found every entry, the patched one included
    assert all(r is patched[r.name] for r in state.table.listeners[0].routes)


# ------------------------------------------------------------------ ties between routes


def _spelled_alike(namespace: str, name: str, hostname: str) -> dict[str, Any]:
    """ "ns/x" + "y" and "ns" + "x/y" give one `namespace/name`: with the same hostname length,
    age, rules and matches, their candidates' precedence keys are equal."""
    return {
        "kind": "HTTPRoute",
        "namespace": namespace,
        "name": name,
        "creationTimestamp": TIMES[0],
        "hostnames": [hostname],
        "rules": [
            {
                "index": 0,
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                "backends": [],
            }
        ],
    }


def test_candidates_with_equal_keys_follow_the_document_as_a_whole_compile_does() -> None:
    cache = RouteParseCache()
    first = _spelled_alike("ns/x", "y", "c.test")  # no tie yet: another hostname length
    other = _spelled_alike("ns", "x/y", "b.example.com")
    doc = {
        "version": 1,
        "gateway": GATEWAY,
        "listeners": [{**_settings("plain", random.Random(0)), "routes": [first, other]}],
    }
    state = advance(None, _json(doc), cache, patch=False)
    compiled = CompiledTable(state.table)
    # The patch keeps the changed route first in the document; now the keys tie, and the
    # document order (not the order of arrival) decides.
    tied = _spelled_alike("ns/x", "y", "a.example.com")
    settings = _settings("plain", random.Random(0))
    patch = {
        "baseVersion": 1,
        "version": 2,
        "gateway": GATEWAY,
        "listeners": [{**settings, "routeChanges": {"remove": [], "set": [tied]}}],
    }
    state = advance(state, _json(patch), cache, patch=True)
    compiled = CompiledTable(state.table, compiled)
    scratch = CompiledTable(parse(state.document.doc))
    assert [e.hostname for e in scratch.ports[80].listeners[0].entries] == [
        "a.example.com",
        "b.example.com",
    ]
    assert_same_compiled(compiled, scratch)
    # The same route objects listed the other way round: no route changed, the order did.
    again = _json(state.document.doc) | {"version": 3}
    again["listeners"][0]["routes"].reverse()
    state = advance(state, again, cache, patch=False)
    before = {id(r) for r in compiled.ports[80].listeners[0].listener.routes}
    assert {id(r) for r in state.table.listeners[0].routes} == before
    compiled = CompiledTable(state.table, compiled)
    assert_same_compiled(compiled, CompiledTable(parse(_json(again))))
    assert compiled.ports[80].listeners[0].entries[0].hostname == "b.example.com"


# ------------------------------------------------------------------ a real proxy


def test_a_real_proxy_serves_patched_routes_on_every_worker_and_refuses_a_bad_patch() -> None:
    port = free_port()
    a, b = EchoBackend("a"), EchoBackend("b")
    proxy = ProxyProcess(workers=2)

    def entry(i: int, backend: EchoBackend) -> dict[str, Any]:
        return route(f"r{i}", [rule(0, [backend_ref(backend)])], hostnames=[f"r{i}.example"])

    def patch(base: int, changes: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        settings = {k: v for k, v in http_listener(port, [], name="http").items() if k != "routes"}
        body = {
            "baseVersion": base,
            "version": base + 1,
            "gateway": {"namespace": "gw", "name": "gw"},
            "listeners": [{**settings, "routeChanges": changes}],
        }
        return proxy.admin("PATCH", "/config", json.dumps(body).encode())

    try:
        with running(a, b):
            version = proxy.push(
                [http_listener(port, [entry(i, a) for i in range(60)], name="http")]
            )
            removed = {"kind": "HTTPRoute", "namespace": "ns", "name": "r3"}
            status, answer = patch(
                version, {"remove": [removed], "set": [entry(7, b), entry(60, b)]}
            )
            assert (status, answer) == (200, {"version": version + 1})
            for _ in range(6):  # connections land on either worker
                assert http1(port, host="r7.example").json()["backend"] == "b"
                assert http1(port, host="r60.example").json()["backend"] == "b"
                assert http1(port, host="r8.example").json()["backend"] == "a"
                assert http1(port, host="r3.example").status == 404
            bad = entry(9, b)
            bad["rules"][0]["timeouts"] = {"request": "soon"}
            status, answer = patch(version + 1, {"remove": [], "set": [bad]})
            # r3 left, so r9 is the ninth entry of the document the patch makes
            assert status == 400
            assert answer["error"].startswith("table.listeners[0].routes[8].rules[0].timeouts")
            assert proxy.admin("GET", "/config") == (200, {"version": version + 1})
            for _ in range(4):
                assert http1(port, host="r9.example").json()["backend"] == "a"
    finally:
        proxy.stop()
