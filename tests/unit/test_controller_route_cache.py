"""The route cache: per-route results kept across reconciles must never change the outcome."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from reference_impl.controller import examples as ex
from reference_impl.controller.compute import ComputeResult, compute
from reference_impl.controller.eval_cache import RouteEvalCache, route_identity
from reference_impl.controller.runner import RESOURCES
from reference_impl.controller.store import ObjectStore

_versions = itertools.count(100)


def _v(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as the API server would send it after a write: a new resourceVersion."""
    obj = copy.deepcopy(obj)
    obj["metadata"]["resourceVersion"] = str(next(_versions))
    return obj


class _Run:
    """A store, a cache that lives across reconciles, and the uncached answer beside it."""

    def __init__(self) -> None:
        self.store = ObjectStore(r.kind for r in RESOURCES)
        for resource in RESOURCES:
            self.store.replace(resource.kind, [])
        self.cache = RouteEvalCache()

    def put(self, *objects: dict[str, Any]) -> None:
        for obj in objects:
            self.store.upsert(str(obj["kind"]), _v(obj))

    def reconcile(self) -> ComputeResult:
        cached = compute(self.store.snapshot(ex.NOW, route_cache=self.cache), "proxy:test")
        self.cache.end()
        fresh = compute(self.store.snapshot(ex.NOW), "proxy:test")
        assert cached == fresh
        return cached


def test_cache_returns_earlier_results_until_the_context_changes() -> None:
    cache = RouteEvalCache()
    made: list[str] = []
    cache.begin(1)
    assert cache.get("k", lambda: made.append("a") or "a") == "a"
    cache.end()
    cache.begin(1)
    assert cache.get("k", lambda: made.append("b") or "b") == "a"
    cache.end()
    cache.begin(2)
    assert cache.get("k", lambda: made.append("c") or "c") == "c"
    cache.end()
    cache.begin(2)
    cache.end()  # k unused in this reconcile: let go
    cache.begin(2)
    assert cache.get("k", lambda: made.append("d") or "d") == "d"
    assert made == ["a", "c", "d"]


def test_route_identity_needs_a_resource_version() -> None:
    route = ex.http_route("r")
    assert route_identity("HTTPRoute", route) is not None
    del route["metadata"]["resourceVersion"]
    assert route_identity("HTTPRoute", route) is None


def test_a_route_object_finds_its_memo_and_so_does_a_copy_of_the_same_version() -> None:
    cache = RouteEvalCache()
    route = _v(ex.http_route("r"))
    cache.begin(1)
    memo = cache.memo_of("HTTPRoute", route)
    assert memo is not None and cache.memo_of("HTTPRoute", route) is memo
    assert cache.memo_of("GRPCRoute", route) is not memo, "a kind keeps its own results"
    cache.end()
    cache.begin(1)
    hits = cache.hits
    assert cache.memo_of("HTTPRoute", route) is memo
    assert cache.hits == hits + 1
    cache.end()
    cache.begin(1)
    assert cache.memo_of("HTTPRoute", copy.deepcopy(route)) is memo, "relisted, same version"
    assert cache.memo_of("HTTPRoute", _v(route)) is not memo, "a new version"
    cache.end()
    cache.begin(2)
    assert cache.memo_of("HTTPRoute", route) is not memo, "the context changed"
    unversioned = copy.deepcopy(route)
    del unversioned["metadata"]["resourceVersion"]
    assert cache.memo_of("HTTPRoute", unversioned) is None


def test_context_counts_every_change_but_routes_and_status_of_unread_kinds() -> None:
    run = _Run()
    start = run.store.context_version
    gateway = _v(ex.gateway())
    run.store.upsert("Gateway", gateway)
    after_gateway = run.store.context_version
    assert after_gateway > start
    run.put(ex.http_route("r"), ex.grpc_route("g"))
    assert run.store.context_version == after_gateway
    with_status = _v({**gateway, "status": {"listeners": [{"name": "http", "attachedRoutes": 2}]}})
    run.store.upsert("Gateway", with_status)
    assert run.store.context_version == after_gateway
    relabelled = _v(with_status)
    relabelled["metadata"]["labels"] = {"team": "a"}
    run.store.upsert("Gateway", relabelled)
    assert run.store.context_version == after_gateway + 1
    secret = ex.tls_secret("cert", "infra", *ex.self_signed_pem())
    run.put(secret)
    with_status_secret = {**secret, "status": {"anything": True}}
    run.put(with_status_secret)  # a kind whose every change counts
    assert run.store.context_version == after_gateway + 3
    run.store.delete("Secret", secret)
    assert run.store.context_version == after_gateway + 4


def test_cached_reconciles_match_fresh_ones_through_every_kind_of_change() -> None:
    run = _Run()
    gateway = ex.gateway()
    run.put(ex.gateway_class(), gateway, ex.namespace("infra"), ex.service(), ex.endpoint_slice())
    routes = [ex.http_route(f"r{i}", hostnames=[f"r{i}.example.com"]) for i in range(5)]
    # An HTTPRoute and a GRPCRoute on the same hostname: the younger one loses its listener.
    grpc = ex.grpc_route("g", hostnames=["r0.example.com"], created="2026-11-27T00:00:00Z")
    run.put(*routes, grpc)
    first = run.reconcile()
    assert first.grpc_route_statuses[("infra", "g")]["parents"][0]["conditions"][0]["status"] == (
        "False"
    )

    run.put(ex.http_route("new", hostnames=["new.example.com"]))  # a route added
    run.reconcile()
    hits = run.cache.hits
    assert hits > 0, "unchanged routes were evaluated again"

    moved = copy.deepcopy(routes[1])
    moved["spec"]["hostnames"] = ["moved.example.com"]
    run.put(moved)  # a route changed
    changed = run.reconcile()
    (table,) = changed.routing_tables.values()
    hosts = {h for r in table["listeners"][0]["routes"] for h in r["hostnames"]}
    assert "moved.example.com" in hosts and "r1.example.com" not in hosts

    # The GRPCRoute itself did not change, but the HTTPRoute it collided with moved away.
    freed = copy.deepcopy(routes[0])
    freed["spec"]["hostnames"] = ["freed.example.com"]
    run.put(freed)
    result = run.reconcile()
    grpc_accepted = result.grpc_route_statuses[("infra", "g")]["parents"][0]["conditions"][0]
    assert grpc_accepted["status"] == "True"

    # Our own status write on the Gateway keeps the cache, and changes nothing.
    run.put({**gateway, "status": changed.gateway_statuses[("infra", "gw")]})
    before = run.cache.hits
    run.reconcile()
    assert run.cache.hits > before

    narrowed = copy.deepcopy(gateway)
    narrowed["spec"]["listeners"][0]["hostname"] = "*.example.org"
    narrowed["metadata"]["generation"] = 2
    run.put(narrowed)  # the Gateway changed: every route is looked at again
    run.put(ex.http_route("other", hostnames=["other.example.org"]))
    result = run.reconcile()
    for name, reason in (("other", "Accepted"), ("r3", "NoMatchingListenerHostname")):
        conditions = result.http_route_statuses[("infra", name)]["parents"][0]["conditions"]
        assert {c["type"]: c["reason"] for c in conditions}["Accepted"] == reason

    run.put(ex.endpoint_slice(addresses=[("10.0.0.9", True)]))  # endpoints moved
    result = run.reconcile()
    (table,) = result.routing_tables.values()
    endpoints = {
        e["ip"]
        for r in table["listeners"][0]["routes"]
        for rule in r["rules"]
        for b in rule["backends"]
        for e in b["endpoints"]
    }
    assert endpoints == {"10.0.0.9"}

    run.store.delete("HTTPRoute", routes[2])  # a route deleted
    result = run.reconcile()
    assert ("infra", "r2") not in result.http_route_statuses


def test_status_only_updates_of_controller_written_kinds_do_not_wake_the_reconciler() -> None:
    run = _Run()
    route = _v(ex.http_route("r"))
    run.store.upsert("HTTPRoute", route)
    run.store.changed.clear()
    written = _v({**route, "status": {"parents": []}})
    run.store.upsert("HTTPRoute", written)
    assert not run.store.changed.is_set()
    assert run.store.objects("HTTPRoute")[("infra", "r")]["status"] == {"parents": []}
    respec = _v(written)
    respec["spec"]["hostnames"] = ["x.example.com"]
    run.store.upsert("HTTPRoute", respec)
    assert run.store.changed.is_set()
    # A Pod's status (the proxy became Ready) is news to the Gateway's status: it wakes it.
    pod = _v({"kind": "Pod", "metadata": {"name": "p", "namespace": "infra"}, "spec": {}})
    run.store.upsert("Pod", pod)
    run.store.changed.clear()
    run.store.upsert("Pod", _v({**pod, "status": {"phase": "Running"}}))
    assert run.store.changed.is_set()
