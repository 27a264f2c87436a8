"""RouteParseCache: unchanged route entries are reused, changed ones re-parsed, removed dropped."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from reference_impl.controller import examples as ex
from reference_impl.controller.compute import compute
from reference_impl.controller.model import snapshot_of
from reference_impl.proxy.routing import CompiledTable
from reference_impl.routing_table import RouteParseCache, RoutingTable, parse


def _table_doc(routes: int, version: int = 1) -> dict[str, Any]:
    """A table as the controller builds it, round-tripped through JSON like a push."""
    objects = [ex.gateway_class(), ex.gateway(), ex.service(), ex.endpoint_slice()]
    objects += [ex.http_route(f"r{i}", hostnames=[f"r{i}.example.com"]) for i in range(routes)]
    result = compute(snapshot_of(objects, ex.NOW), "proxy:test")
    (table,) = result.routing_tables.values()
    doc: dict[str, Any] = json.loads(json.dumps({"version": version, **table}))
    return doc


def _routes(table: RoutingTable) -> dict[str, Any]:
    return {r.name: r for r in table.listeners[0].routes}


def test_unchanged_routes_are_reused_and_equal_a_fresh_parse() -> None:
    cache = RouteParseCache()
    first = parse(_table_doc(5, version=1), cache)
    second = parse(_table_doc(5, version=2), cache)
    assert second.version == 2
    assert cache.misses == 5 and cache.hits == 5
    for name, route in _routes(second).items():
        assert route is _routes(first)[name]
    assert second == parse(_table_doc(5, version=2))


def test_changed_route_is_parsed_again_others_are_kept() -> None:
    cache = RouteParseCache()
    doc = _table_doc(3)
    first = _routes(parse(doc, cache))
    changed = copy.deepcopy(doc)
    changed["version"] = 2
    entry = changed["listeners"][0]["routes"][1]
    entry["hostnames"] = ["moved.example.com"]
    second = _routes(parse(changed, cache))
    name = entry["name"]
    assert second[name] is not first[name]
    assert second[name].hostnames == ("moved.example.com",)
    assert all(second[n] is first[n] for n in first if n != name)
    assert second == _routes(parse(changed))
    compiled = CompiledTable(parse(changed, cache))
    hosts = {e.hostname for e in compiled.ports[80].listeners[0].entries}
    assert "moved.example.com" in hosts


def test_removed_route_is_dropped_from_the_cache() -> None:
    cache = RouteParseCache()
    doc = _table_doc(4)
    parse(doc, cache)
    assert len(cache) == 4
    del doc["listeners"][0]["routes"][0]
    parse(doc, cache)
    assert len(cache) == 3


def test_numbers_that_differ_only_in_json_type_are_not_confused() -> None:
    cache = RouteParseCache()
    doc = _table_doc(1)
    parse(doc, cache)
    bad = copy.deepcopy(doc)
    bad["listeners"][0]["routes"][0]["rules"][0]["index"] = 0.0
    with pytest.raises(ValueError, match=r"rules\[0\]\.index"):
        parse(bad, cache)


def test_invalid_table_is_rejected_and_keeps_the_previous_entries() -> None:
    cache = RouteParseCache()
    doc = _table_doc(2)
    parse(doc, cache)
    bad = copy.deepcopy(doc)
    bad["listeners"][0]["routes"][1]["rules"][0]["backends"][0]["weight"] = "heavy"
    with pytest.raises(ValueError, match=r"routes\[1\]\.rules\[0\]\.backends\[0\]"):
        parse(bad, cache)
    assert len(cache) == 2
    hits = cache.hits
    parse(doc, cache)
    assert cache.hits == hits + 2


def test_cached_entry_is_still_checked_against_its_listener() -> None:
    cache = RouteParseCache()
    doc = _table_doc(1)
    parse(doc, cache)
    moved = copy.deepcopy(doc)
    listener = moved["listeners"][0]
    listener["protocol"] = "TLS"
    listener["tls"] = {"mode": "Passthrough", "certificates": []}
    with pytest.raises(ValueError, match="cannot attach to a TLS listener"):
        parse(moved, cache)
