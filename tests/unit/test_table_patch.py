"""Table patches: applying them, rendering them in the pusher, and PATCH /config on a real proxy."""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any

import pytest

import reference_impl.controller.pusher as pusher_module
from reference_impl.controller.pusher import (
    ProxyTarget,
    Pusher,
    _EntryTexts,
    patch_body,
    render_table,
)
from reference_impl.routing_table import RouteParseCache, parse
from reference_impl.table_patch import BaseMismatch, TableDocument, apply_patch, route_key
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


def _entry(name: str, port: int = 9) -> dict[str, Any]:
    backend = {
        "name": "ns/b:80",
        "weight": 1,
        "valid": True,
        "appProtocol": None,
        "endpoints": [{"ip": "127.0.0.1", "port": port}],
        "filters": [],
    }
    return route(name, [rule(0, [backend])], hostnames=[f"{name}.example.com"])


def _table(version: int, *listeners: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": version,
        "gateway": {"namespace": "gw", "name": "gw"},
        "listeners": list(listeners),
    }


def _sorted(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with each listener's routes in key order (their order carries no meaning)."""
    listeners = [
        {**item, "routes": sorted(item["routes"], key=route_key)} for item in doc["listeners"]
    ]
    return {**doc, "listeners": listeners}


def test_patch_sets_and_removes_routes_and_keeps_unchanged_entries_as_they_are() -> None:
    base_doc = _table(1, http_listener(80, [_entry("a"), _entry("b"), _entry("c")]))
    base = TableDocument.of(base_doc)
    changed_b = _entry("b", port=10)
    listener = {k: v for k, v in http_listener(80, []).items() if k != "routes"}
    patch = {
        "baseVersion": 1,
        "version": 2,
        "gateway": {"namespace": "gw", "name": "gw"},
        "listeners": [
            {
                **listener,
                "routeChanges": {
                    "set": [changed_b, _entry("d")],
                    "remove": [{"kind": "HTTPRoute", "namespace": "ns", "name": "c"}],
                },
            }
        ],
    }
    full = apply_patch(base, patch)
    assert "baseVersion" not in full and full["version"] == 2
    names = {r["name"]: r for r in full["listeners"][0]["routes"]}
    assert set(names) == {"a", "b", "d"}
    assert names["a"] is base_doc["listeners"][0]["routes"][0]
    assert names["b"] is changed_b
    assert parse(full).version == 2


def test_patch_for_another_base_or_an_unknown_listener_is_refused() -> None:
    base = TableDocument.of(_table(5, http_listener(80, [_entry("a")])))
    listener = {k: v for k, v in http_listener(80, []).items() if k != "routes"}
    changes = {**listener, "routeChanges": {"set": [], "remove": []}}
    with pytest.raises(BaseMismatch):
        apply_patch(base, {"baseVersion": 4, "version": 6, "listeners": [changes]})
    with pytest.raises(BaseMismatch):
        apply_patch(None, {"baseVersion": 5, "version": 6, "listeners": [changes]})
    with pytest.raises(ValueError, match="no listener 'other'"):
        apply_patch(
            base, {"baseVersion": 5, "version": 6, "listeners": [{**changes, "name": "other"}]}
        )
    with pytest.raises(ValueError, match="either routes or routeChanges"):
        apply_patch(
            base, {"baseVersion": 5, "version": 6, "listeners": [{**changes, "routes": []}]}
        )
    with pytest.raises(ValueError, match="baseVersion"):
        apply_patch(base, {"baseVersion": "5", "version": 6, "listeners": []})


def _rendered(table: dict[str, Any], texts: _EntryTexts) -> tuple[str, str, Any]:
    digest, settings, listeners = render_table(table, texts)
    texts.commit()
    return digest, settings, listeners


def test_rendered_patch_turns_the_old_table_into_the_new_one() -> None:
    texts = _EntryTexts()
    old = _table(0, http_listener(80, [_entry("a"), _entry("b")]), http_listener(81, [_entry("x")]))
    new = _table(
        0,
        http_listener(80, [_entry("a"), _entry("b", port=11), _entry("c")]),
        http_listener(82, [_entry("y")]),
    )
    old_digest, _, old_listeners = _rendered(old, texts)
    _, settings, new_listeners = _rendered(new, texts)
    assert json.loads(old_digest) == {k: v for k, v in old.items() if k != "version"}
    patch = json.loads(patch_body(settings, old_listeners, new_listeners, 7, 8))
    full = apply_patch(TableDocument.of({**json.loads(old_digest), "version": 7}), patch)
    assert _sorted(full) == _sorted({**new, "version": 8})
    # Only what changed travels: b (new port) and c on :80; :82 is new, so whole.
    on_80 = patch["listeners"][0]["routeChanges"]
    assert sorted(r["name"] for r in on_80["set"]) == ["b", "c"] and on_80["remove"] == []
    assert [r["name"] for r in patch["listeners"][1]["routes"]] == ["y"]


def test_a_listener_without_routes_is_rendered_as_given_and_not_patched() -> None:
    table = _table(0, {"name": "http", "port": 80})
    digest, _, listeners = render_table(table, _EntryTexts())
    assert json.loads(digest)["listeners"] == [{"name": "http", "port": 80}]
    assert listeners is None


def test_parse_cache_knows_carried_over_entries_without_reading_them() -> None:
    cache = RouteParseCache()
    doc = _table(1, http_listener(80, [_entry("a"), _entry("b")]))
    parse(doc, cache)
    misses = cache.misses
    patch = {
        "baseVersion": 1,
        "version": 2,
        "gateway": doc["gateway"],
        "listeners": [
            {
                **{k: v for k, v in doc["listeners"][0].items() if k != "routes"},
                "routeChanges": {"set": [_entry("c")], "remove": []},
            }
        ],
    }
    table = parse(apply_patch(TableDocument.of(doc), patch), cache)
    assert cache.misses == misses + 1  # only c was parsed
    assert {r.name for r in table.listeners[0].routes} == {"a", "b", "c"}


# ------------------------------------------------------------------ a real proxy


def _wait_delivered(pusher: Pusher, uid: str, key: tuple[str, str]) -> None:
    """Until the proxy holds the Gateway's current table (its version may move up meanwhile)."""
    deadline = time.monotonic() + 20
    while pusher.delivered(uid) != pusher.version_of(key):
        assert time.monotonic() < deadline, f"version {pusher.version_of(key)} not delivered"
        time.sleep(0.01)


def _recording_pusher(
    admin_port: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[Pusher, list[tuple[str, int]]]:
    """A pusher whose requests are recorded as (method, status)."""
    seen: list[tuple[str, int]] = []
    original = pusher_module._request

    def recording(conn: Any, method: str, body: bytes) -> tuple[int, str]:
        status, answer = original(conn, method, body)
        seen.append((method, status))
        return status, answer

    monkeypatch.setattr(pusher_module, "_request", recording)
    return Pusher(admin_port=admin_port), seen


def test_proxy_takes_patches_and_restarted_workers_get_the_whole_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    a, b = EchoBackend("a"), EchoBackend("b")
    proxy = ProxyProcess(workers=2)
    pusher, seen = _recording_pusher(proxy.admin_port, monkeypatch)
    target = ProxyTarget("pod/0", "127.0.0.1")
    key = ("gw", "gw")

    def table(*routes: dict[str, Any]) -> dict[str, Any]:
        return {
            "gateway": {"namespace": "gw", "name": "gw"},
            "listeners": [http_listener(port, list(routes), name="http")],
        }

    try:
        with running(a, b):
            pusher.start()
            route_a = route("a", [rule(0, [backend_ref(a)])], hostnames=["a.example.com"])
            route_b = route("b", [rule(0, [backend_ref(b)])], hostnames=["b.example.com"])
            pusher.update({key: table(route_a)}, {key: [target]})
            _wait_delivered(pusher, target.uid, key)
            pusher.update({key: table(route_a, route_b)}, {key: [target]})
            _wait_delivered(pusher, target.uid, key)
            assert [m for m, _ in seen] == ["PUT", "PATCH"] and seen[-1][1] == 200
            for _ in range(4):  # every worker serves both routes
                assert http1(port, host="b.example.com").json()["backend"] == "b"
                assert http1(port, host="a.example.com").json()["backend"] == "a"

            # Workers that die come back with the table in force, patches included.
            workers = _worker_pids(proxy.proc.pid)
            assert len(workers) == 2
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 20
            while True:
                now_running = _worker_pids(proxy.proc.pid)
                if len(now_running) == 2 and not set(now_running) & set(workers):
                    break
                assert time.monotonic() < deadline, "the workers were not restarted"
                time.sleep(0.1)
            for _ in range(8):
                assert http1(port, host="b.example.com").json()["backend"] == "b"

            # A proxy that lost the base (here: a table from elsewhere) gets the whole table.
            status, _ = proxy.admin(
                "PUT", "/config", json.dumps({**table(route_a), "version": 2**62}).encode()
            )
            assert status == 200
            pusher.update({key: table(route_b)}, {key: [target]})
            _wait_delivered(pusher, target.uid, key)
            assert ("PATCH", 409) in seen and seen[-1] == ("PUT", 200)
            assert http1(port, host="a.example.com").status == 404
            assert http1(port, host="b.example.com").json()["backend"] == "b"
    finally:
        pusher.stop()
        proxy.stop()


def test_pusher_reconnects_to_a_proxy_that_restarted(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    backend = EchoBackend("a")
    first = ProxyProcess(workers=1)
    pusher, seen = _recording_pusher(first.admin_port, monkeypatch)
    target, key = ProxyTarget("pod/0", "127.0.0.1"), ("gw", "gw")

    def table(*routes: dict[str, Any]) -> dict[str, Any]:
        return {
            "gateway": {"namespace": "gw", "name": "gw"},
            "listeners": [http_listener(port, list(routes), name="http")],
        }

    second: ProxyProcess | None = None
    try:
        with running(backend):
            pusher.start()
            route_a = route("a", [rule(0, [backend_ref(backend)])], hostnames=["a.example.com"])
            pusher.update({key: table(route_a)}, {key: [target]})
            _wait_delivered(pusher, target.uid, key)
            first.stop()  # the kept-alive admin connection dies with it
            second = ProxyProcess(workers=1, admin_port=first.admin_port)
            route_b = route("b", [rule(0, [backend_ref(backend)])], hostnames=["b.example.com"])
            pusher.update({key: table(route_a, route_b)}, {key: [target]})
            _wait_delivered(pusher, target.uid, key)
            # The new proxy holds no base: the patch is refused, the whole table follows, over a
            # fresh connection at once (the dead kept one failed no push).
            assert seen[-2:] == [("PATCH", 409), ("PUT", 200)]
            assert pusher.failed_pushes == 0
            assert http1(port, host="b.example.com").json()["backend"] == "a"
    finally:
        pusher.stop()
        first.stop()
        if second is not None:
            second.stop()


def test_admin_refuses_a_patch_for_another_base_and_a_put_that_is_a_patch() -> None:
    proxy = ProxyProcess(workers=1)
    try:
        port = free_port()
        version = proxy.push([http_listener(port, [_entry("a")], name="http")])
        listener = {k: v for k, v in http_listener(port, [], name="http").items() if k != "routes"}
        patch = {
            "baseVersion": version + 5,
            "version": version + 6,
            "gateway": {"namespace": "gw", "name": "gw"},
            "listeners": [{**listener, "routeChanges": {"set": [], "remove": []}}],
        }
        status, answer = proxy.admin("PATCH", "/config", json.dumps(patch).encode())
        assert status == 409 and answer["version"] == version
        status, answer = proxy.admin("PUT", "/config", json.dumps(patch).encode())
        assert status == 400 and "PUT takes a full table" in answer["error"]
        bad = {
            **patch,
            "baseVersion": version,
            "listeners": [{**listener, "name": "nope", "routeChanges": {"set": [], "remove": []}}],
        }
        status, answer = proxy.admin("PATCH", "/config", json.dumps(bad).encode())
        assert status == 400 and "no listener 'nope'" in answer["error"]
        assert proxy.admin("GET", "/config") == (200, {"version": version})
    finally:
        proxy.stop()


def _worker_pids(parent: int) -> list[int]:
    """Live child processes of the proxy (its workers)."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            children.append(int(entry))
    return sorted(children)
