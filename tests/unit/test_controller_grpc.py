"""GRPCRoute: listener kinds, attachment, status parents and the GRPCRouteEntry of the table."""

from __future__ import annotations

from typing import Any

from reference_impl.controller import examples as ex
from reference_impl.controller.compute import ComputeResult, compute
from reference_impl.controller.constants import CONTROLLER_NAME, GATEWAY_GROUP
from reference_impl.controller.features import (
    FULL_SUPPORT,
    PENDING_PROXY_SUPPORT,
    PROXY_SUPPORT,
    DataPlaneSupport,
)
from reference_impl.controller.model import Obj, snapshot_of
from reference_impl.controller.route_collisions import HostIndex, hostnames_intersect
from reference_impl.controller.runner import RESOURCES
from reference_impl.controller.status_writer import STATUS_KINDS
from reference_impl.controller.store import ObjectStore
from reference_impl.routing_table import parse as parse_routing_table

T0 = "2026-11-26T03:00:00Z"
IMAGE = "gateway-harness/reference-proxy:test"
GW = ("infra", "gw")
ROUTE = ("infra", "grpc-route")
H2C_PORT = {"name": "grpc", "port": 8080, "targetPort": 3000, "appProtocol": "kubernetes.io/h2c"}

HTTP_ONLY = DataPlaneSupport(
    route_kinds=frozenset({"HTTPRoute"}), tls_listener_modes=frozenset(), backend_tls=False
)
"""A data plane that serves HTTPRoute only (the proxy before GRPCRoute/TLSRoute/backend TLS)."""


def run(*objects: Obj, support: DataPlaneSupport = FULL_SUPPORT) -> ComputeResult:
    return compute(snapshot_of(objects, T0, data_plane=support), IMAGE)


def base(*extra: Obj) -> list[Obj]:
    return [
        ex.gateway_class(),
        ex.namespace("infra"),
        ex.service(ports=[H2C_PORT]),
        ex.endpoint_slice(port_name="grpc"),
        *extra,
    ]


def has(conditions: list[Obj], type_: str, status: str, reason: str) -> bool:
    found = [c for c in conditions if c["type"] == type_]
    assert len(found) == 1, conditions
    return bool(found[0]["status"] == status and found[0]["reason"] == reason)


def grpc_parent(result: ComputeResult, route: tuple[str, str] = ROUTE) -> Obj:
    parents = [
        p
        for p in result.grpc_route_statuses[route]["parents"]
        if p["controllerName"] == CONTROLLER_NAME
    ]
    assert len(parents) == 1, parents
    only: Obj = parents[0]
    return only


def listener_entry(result: ComputeResult, name: str = "http") -> Obj:
    entry: Obj = next(e for e in result.gateway_statuses[GW]["listeners"] if e["name"] == name)
    return entry


def table_routes(result: ComputeResult, listener: str = "http") -> list[Obj]:
    table = result.routing_tables[GW]
    routes: list[Obj] = next(lst for lst in table["listeners"] if lst["name"] == listener)["routes"]
    return routes


def kinds(entry: Obj) -> list[str]:
    return [k["kind"] for k in entry["supportedKinds"]]


# ------------------------------------------------------------------ data plane switch


def test_http_only_proxy_advertises_no_grpc_and_rejects_grpc_routes() -> None:
    result = run(*base(ex.gateway(), ex.grpc_route()), support=HTTP_ONLY)
    assert kinds(listener_entry(result)) == ["HTTPRoute"]
    assert has(grpc_parent(result)["conditions"], "Accepted", "False", "NotAllowedByListeners")
    assert table_routes(result) == []
    features = {f["name"] for f in result.gateway_class_statuses["reference"]["supportedFeatures"]}
    assert not features & PENDING_PROXY_SUPPORT


def test_full_data_plane_lists_grpc_kinds_and_features() -> None:
    cert, key = ex.self_signed_pem()
    https = ex.listener("https", 443, "HTTPS", tls={"certificateRefs": [{"name": "cert"}]})
    gw = ex.gateway(listeners=[ex.listener(), https])
    result = run(*base(gw, ex.tls_secret("cert", "infra", cert, key)))
    assert kinds(listener_entry(result, "http")) == ["HTTPRoute", "GRPCRoute"]
    assert kinds(listener_entry(result, "https")) == ["HTTPRoute", "GRPCRoute"]
    features = {f["name"] for f in result.gateway_class_statuses["reference"]["supportedFeatures"]}
    assert features >= PENDING_PROXY_SUPPORT


# ------------------------------------------------------------------ attachment and status


def test_grpc_route_accepted_and_counted_with_http_routes() -> None:
    web = ex.http_route(hostnames=["web.example.com"])
    result = run(*base(ex.gateway(), ex.grpc_route(hostnames=["grpc.example.com"]), web))
    parent = grpc_parent(result)
    assert parent["parentRef"] == {
        "group": GATEWAY_GROUP,
        "kind": "Gateway",
        "namespace": "infra",
        "name": "gw",
    }
    assert has(parent["conditions"], "Accepted", "True", "Accepted")
    assert has(parent["conditions"], "ResolvedRefs", "True", "ResolvedRefs")
    assert listener_entry(result)["attachedRoutes"] == 2
    assert ROUTE not in result.http_route_statuses


def test_listener_allowing_only_http_routes_rejects_grpc_route() -> None:
    only_http = ex.listener(allowedRoutes={"kinds": [{"kind": "HTTPRoute"}]})
    result = run(*base(ex.gateway(listeners=[only_http]), ex.grpc_route()))
    assert kinds(listener_entry(result)) == ["HTTPRoute"]
    assert has(grpc_parent(result)["conditions"], "Accepted", "False", "NotAllowedByListeners")
    assert listener_entry(result)["attachedRoutes"] == 0


def test_grpc_hostnames_intersect_listener_hostnames() -> None:
    gw = ex.gateway(
        listeners=[
            ex.listener("bar", 80, hostname="bar.com"),
            ex.listener("wild", 80, hostname="*.bar.com"),
        ]
    )
    route = ex.grpc_route(hostnames=["foo.bar.com"])
    result = run(*base(gw, route))
    assert has(grpc_parent(result)["conditions"], "Accepted", "True", "Accepted")
    assert listener_entry(result, "bar")["attachedRoutes"] == 0
    assert listener_entry(result, "wild")["attachedRoutes"] == 1
    assert table_routes(result, "bar") == []
    assert table_routes(result, "wild")[0]["hostnames"] == ["foo.bar.com"]
    miss = run(*base(gw, ex.grpc_route(hostnames=["foo.com"])))
    assert has(grpc_parent(miss)["conditions"], "Accepted", "False", "NoMatchingListenerHostname")


def test_unsupported_filter_drops_rule_or_route() -> None:
    rewrite = {"type": "URLRewrite", "urlRewrite": {"hostname": "x"}}
    good = {"backendRefs": [ex.backend_ref("backend")]}
    bad = {"filters": [rewrite], "backendRefs": [ex.backend_ref("backend")]}
    partial = run(*base(ex.gateway(), ex.grpc_route(rules=[good, bad])))
    conditions = grpc_parent(partial)["conditions"]
    assert has(conditions, "Accepted", "True", "Accepted")
    assert has(conditions, "PartiallyInvalid", "True", "UnsupportedValue")
    assert [r["index"] for r in table_routes(partial)[0]["rules"]] == [0]
    rejected = run(*base(ex.gateway(), ex.grpc_route(rules=[bad])))
    assert has(grpc_parent(rejected)["conditions"], "Accepted", "False", "UnsupportedValue")


def test_unsupported_method_match_type_is_rejected() -> None:
    rule = {"matches": [{"method": {"type": "Prefix", "service": "a.B"}}]}
    result = run(*base(ex.gateway(), ex.grpc_route(rules=[rule])))
    conditions = grpc_parent(result)["conditions"]
    assert has(conditions, "Accepted", "False", "UnsupportedValue")
    assert "Prefix" in next(c for c in conditions if c["type"] == "Accepted")["message"]


def test_backend_problems_keep_route_accepted() -> None:
    missing = ex.grpc_route(rules=[{"backendRefs": [ex.backend_ref("nowhere")]}])
    result = run(*base(ex.gateway(), missing))
    conditions = grpc_parent(result)["conditions"]
    assert has(conditions, "Accepted", "True", "Accepted")
    assert has(conditions, "ResolvedRefs", "False", "BackendNotFound")
    (backend,) = table_routes(result)[0]["rules"][0]["backends"]
    assert backend["valid"] is False


def test_websocket_backend_cannot_serve_grpc() -> None:
    ws = ex.service("ws", ports=[{"name": "ws", "port": 8080, "appProtocol": "kubernetes.io/ws"}])
    route = ex.grpc_route(rules=[{"backendRefs": [ex.backend_ref("ws")]}])
    result = run(*base(ex.gateway(), ws, route))
    assert has(grpc_parent(result)["conditions"], "ResolvedRefs", "False", "UnsupportedProtocol")


def test_cross_namespace_backend_needs_a_grant_from_grpc_route() -> None:
    other = ex.service("remote", "apps", ports=[H2C_PORT])
    route = ex.grpc_route(rules=[{"backendRefs": [ex.backend_ref("remote", namespace="apps")]}])
    denied = run(*base(ex.gateway(), other, route))
    assert has(grpc_parent(denied)["conditions"], "ResolvedRefs", "False", "RefNotPermitted")
    http_only = ex.reference_grant(
        "apps",
        [{"group": GATEWAY_GROUP, "kind": "HTTPRoute", "namespace": "infra"}],
        [{"group": "", "kind": "Service"}],
    )
    still = run(*base(ex.gateway(), other, route, http_only))
    assert has(grpc_parent(still)["conditions"], "ResolvedRefs", "False", "RefNotPermitted")
    grant = ex.reference_grant(
        "apps",
        [{"group": GATEWAY_GROUP, "kind": "GRPCRoute", "namespace": "infra"}],
        [{"group": "", "kind": "Service"}],
        name="grpc-grant",
    )
    allowed = run(*base(ex.gateway(), other, route, grant))
    assert has(grpc_parent(allowed)["conditions"], "ResolvedRefs", "True", "ResolvedRefs")


def test_http_and_grpc_routes_with_shared_hostnames_only_the_older_is_accepted() -> None:
    old_grpc = ex.grpc_route(hostnames=["*.example.com"], created="2026-11-25T00:00:00Z")
    web = ex.http_route(hostnames=["web.example.com"])
    other = ex.http_route("other", hostnames=["other.org"])
    result = run(*base(ex.gateway(), old_grpc, web, other))
    assert has(grpc_parent(result)["conditions"], "Accepted", "True", "Accepted")
    lost = result.http_route_statuses[("infra", "route")]["parents"][0]
    assert has(lost["conditions"], "Accepted", "False", "NotAllowedByListeners")
    assert "grpc-route" in next(c for c in lost["conditions"] if c["type"] == "Accepted")["message"]
    kept = result.http_route_statuses[("infra", "other")]["parents"][0]
    assert has(kept["conditions"], "Accepted", "True", "Accepted")
    assert listener_entry(result)["attachedRoutes"] == 2
    assert sorted(r["name"] for r in table_routes(result)) == ["grpc-route", "other"]


def test_collision_loser_keeps_its_other_listeners() -> None:
    gw = ex.gateway(listeners=[ex.listener("a", 80), ex.listener("b", 8080, hostname="b.io")])
    web = ex.http_route(hostnames=["b.io", "a.io"])
    newer_grpc = ex.grpc_route(hostnames=["a.io"], created="2026-11-27T00:00:00Z")
    result = run(*base(gw, web, newer_grpc))
    assert has(grpc_parent(result)["conditions"], "Accepted", "False", "NotAllowedByListeners")
    older = ex.grpc_route(hostnames=["a.io"], created="2026-11-25T00:00:00Z")
    result = run(*base(gw, web, older))
    assert has(grpc_parent(result)["conditions"], "Accepted", "True", "Accepted")
    web_parent = result.http_route_statuses[("infra", "route")]["parents"][0]
    assert has(web_parent["conditions"], "Accepted", "True", "Accepted")
    assert listener_entry(result, "a")["attachedRoutes"] == 1
    assert [r["kind"] for r in table_routes(result, "a")] == ["GRPCRoute"]
    assert [r["kind"] for r in table_routes(result, "b")] == ["HTTPRoute"]


# ------------------------------------------------------------------ translation


def test_grpc_entry_fills_defaults_and_sits_beside_http_routes() -> None:
    rules: list[dict[str, Any]] = [
        {
            "name": "echo",
            "matches": [
                {
                    "method": {"service": "pkg.Echo", "method": "Echo"},
                    "headers": [{"name": "version", "value": "one"}],
                }
            ],
            "backendRefs": [ex.backend_ref("backend", weight=70)],
        },
        {"backendRefs": [ex.backend_ref("backend", weight=30)]},
    ]
    web = ex.http_route(hostnames=["web.example.com"])
    grpc = ex.grpc_route(rules=rules, hostnames=["grpc.example.com"])
    result = run(*base(ex.gateway(), grpc, web))
    routes = table_routes(result)
    assert sorted(r["kind"] for r in routes) == ["GRPCRoute", "HTTPRoute"]
    entry = next(r for r in routes if r["kind"] == "GRPCRoute")
    assert (entry["namespace"], entry["name"]) == ("infra", "grpc-route")
    assert entry["hostnames"] == ["grpc.example.com"]
    assert entry["creationTimestamp"] == "2026-11-26T00:00:00Z"
    first, second = entry["rules"]
    assert first["name"] == "echo"
    assert first["matches"] == [
        {
            "method": {"type": "Exact", "service": "pkg.Echo", "method": "Echo"},
            "headers": [{"name": "version", "value": "one", "type": "Exact"}],
        }
    ]
    assert second["matches"] == [{"method": None, "headers": []}]
    (backend,) = first["backends"]
    assert backend["weight"] == 70 and second["backends"][0]["weight"] == 30
    assert backend["appProtocol"] == "kubernetes.io/h2c"
    assert backend["endpoints"] == [{"ip": "198.18.0.10", "port": 3000}]
    assert backend["valid"] is True
    assert "tls" not in backend
    assert "timeouts" not in first and "retry" not in first


def test_regex_method_and_service_only_matches_are_kept() -> None:
    rules = [
        {"matches": [{"method": {"type": "RegularExpression", "service": "pkg\\..*"}}]},
        {"matches": [{"method": {"service": "pkg.Echo"}}]},
    ]
    result = run(*base(ex.gateway(), ex.grpc_route(rules=rules)))
    first, second = table_routes(result)[0]["rules"]
    assert first["matches"][0]["method"] == {
        "type": "RegularExpression",
        "service": "pkg\\..*",
        "method": None,
    }
    assert second["matches"][0]["method"] == {
        "type": "Exact",
        "service": "pkg.Echo",
        "method": None,
    }


def test_header_modifiers_and_mirror_are_translated() -> None:
    mirror_svc = ex.service("mirror", ports=[H2C_PORT])
    filters = [
        {
            "type": "RequestHeaderModifier",
            "requestHeaderModifier": {"set": [{"name": "a", "value": "1"}]},
        },
        {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"remove": ["b"]}},
        {
            "type": "RequestMirror",
            "requestMirror": {"backendRef": {"name": "mirror", "port": 8080}},
        },
    ]
    route = ex.grpc_route(rules=[{"filters": filters, "backendRefs": [ex.backend_ref("backend")]}])
    result = run(*base(ex.gateway(), mirror_svc, route))
    rule = table_routes(result)[0]["rules"][0]
    assert [f["type"] for f in rule["filters"]] == [
        "RequestHeaderModifier",
        "ResponseHeaderModifier",
        "RequestMirror",
    ]
    mirror = rule["filters"][2]["requestMirror"]
    assert "backendRef" not in mirror
    assert mirror["backend"]["name"] == "infra/mirror:8080"
    assert mirror["backend"]["valid"] is True


def test_extension_ref_makes_backends_invalid() -> None:
    ext = {"type": "ExtensionRef", "extensionRef": {"group": "x.io", "kind": "Y", "name": "z"}}
    route = ex.grpc_route(rules=[{"filters": [ext], "backendRefs": [ex.backend_ref("backend")]}])
    result = run(*base(ex.gateway(), route))
    assert has(grpc_parent(result)["conditions"], "ResolvedRefs", "False", "InvalidKind")
    rule = table_routes(result)[0]["rules"][0]
    assert rule["filters"] == []
    assert rule["backends"][0]["valid"] is False


# ------------------------------------------------------------------ runtime wiring


def test_the_proxy_accepts_the_table_built_from_grpc_tls_and_policy_objects() -> None:
    gw = ex.gateway(listeners=[ex.listener(), ex.tls_listener("tls", 8443)])
    policy = ex.backend_tls_policy(service_name="backend")
    objects = base(
        gw,
        ex.grpc_route(),
        ex.tls_route(),
        ex.http_route(hostnames=["web.example.com"]),
        policy,
        ex.config_map("backend-ca", "infra", {"ca.crt": ex.self_signed_pem()[0]}),
    )
    result = run(*objects, support=PROXY_SUPPORT)
    table = {"version": 1, **result.routing_tables[GW]}
    parsed = parse_routing_table(table)  # the proxy's own validation must not reject it
    assert [lst.name for lst in parsed.listeners] == ["http", "tls"]
    http, tls = parsed.listeners
    # the GRPCRoute is older than the HTTPRoute and their hostnames intersect: only it is sent
    assert [r.name for r in http.grpc_routes] == ["grpc-route"] and not http.routes
    (backend,) = http.grpc_routes[0].rules[0].backends
    assert backend.valid and backend.tls is not None  # the policy's Service: dialled with TLS
    assert [r.name for r in tls.tls_routes] == ["tls-route"]


def test_runtime_watches_and_writes_the_new_kinds() -> None:
    kinds_watched = {r.kind: r for r in RESOURCES}
    for kind in ("GRPCRoute", "TLSRoute", "BackendTLSPolicy", "ConfigMap"):
        assert kind in kinds_watched
    assert STATUS_KINDS["GRPCRoute"].path(ROUTE) == (
        "/apis/gateway.networking.k8s.io/v1/namespaces/infra/grpcroutes/grpc-route/status"
    )
    assert (
        STATUS_KINDS["BackendTLSPolicy"]
        .path(("infra", "p"))
        .endswith("/namespaces/infra/backendtlspolicies/p/status")
    )
    store = ObjectStore(kinds_watched)
    for kind, obj in (
        ("GRPCRoute", ex.grpc_route()),
        ("TLSRoute", ex.tls_route()),
        ("BackendTLSPolicy", ex.backend_tls_policy()),
        ("ConfigMap", ex.config_map("backend-ca", "infra", {"ca.crt": "x"})),
    ):
        store.upsert(kind, obj)
    snapshot = store.snapshot(T0, data_plane=FULL_SUPPORT)
    assert set(snapshot.grpc_routes) == {ROUTE}
    assert set(snapshot.tls_routes) == {("infra", "tls-route")}
    assert set(snapshot.backend_tls_policies) == {("infra", "backend-tls")}
    assert set(snapshot.config_maps) == {("infra", "backend-ca")}
    assert snapshot.data_plane is FULL_SUPPORT


def test_host_index_agrees_with_pairwise_hostname_intersection() -> None:
    pool = [
        [],
        ["example.com"],
        ["a.example.com"],
        ["A.Example.com"],
        ["*.example.com"],
        ["*.a.example.com"],
        ["*.com"],
        ["b.a.example.com", "other.org"],
        ["*.org"],
        ["example.net"],
    ]
    for held in pool:
        index = HostIndex()
        index.add(held, "held")
        for asked in pool:
            expected = hostnames_intersect(held, asked)
            assert (index.colliding(asked) is not None) == expected, (held, asked)
    assert HostIndex().colliding([]) is None
