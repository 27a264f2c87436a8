"""The pusher serialises a table once: compact sorted JSON is its identity and its body."""

from __future__ import annotations

import json
from typing import Any

from reference_impl.controller import examples as ex
from reference_impl.controller.compute import compute
from reference_impl.controller.model import snapshot_of
from reference_impl.controller.pusher import Pusher, table_json, versioned_body
from reference_impl.routing_table import parse


def _table(hosts: list[str]) -> dict[str, Any]:
    objects = [ex.gateway_class(), ex.gateway(), ex.service(), ex.endpoint_slice()]
    objects += [ex.http_route(f"r{i}", hostnames=[h]) for i, h in enumerate(hosts)]
    (table,) = compute(snapshot_of(objects, ex.NOW), "proxy:test").routing_tables.values()
    return table


def test_body_is_the_table_with_its_version_and_parses() -> None:
    table = _table(["a.example.com", "b.example.com"])
    body = versioned_body(table_json(table), 42)
    assert json.loads(body) == {**table, "version": 42}
    assert parse(json.loads(body)).version == 42
    assert json.loads(versioned_body(table_json({}), 5)) == {"version": 5}


def test_identity_ignores_key_order_and_a_stray_version() -> None:
    table = _table(["a.example.com"])
    reordered = dict(reversed(list(table.items())))
    assert table_json(reordered) == table_json(table)
    assert table_json({**table, "version": 3}) == table_json(table)
    assert table_json(_table(["b.example.com"])) != table_json(table)


def test_update_keeps_the_version_of_an_unchanged_table_and_bumps_a_changed_one() -> None:
    pusher = Pusher()
    key = ("infra", "gw")
    pusher.update({key: _table(["a.example.com"])}, {})
    first = pusher.version_of(key)
    pusher.update({key: _table(["a.example.com"])}, {})
    assert pusher.version_of(key) == first
    pusher.update({key: _table(["a.example.com", "b.example.com"])}, {})
    second = pusher.version_of(key)
    assert first is not None and second is not None and second > first
    pusher.update({}, {})
    assert pusher.version_of(key) is None
