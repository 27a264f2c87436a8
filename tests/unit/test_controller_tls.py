"""TLS listeners and TLSRoute: modes, kinds, SNI hostnames, status parents, TLSRouteEntry."""

from __future__ import annotations

import dataclasses

from reference_impl.controller import examples as ex
from reference_impl.controller.compute import ComputeResult, compute
from reference_impl.controller.constants import CONTROLLER_NAME, GATEWAY_GROUP
from reference_impl.controller.features import FULL_SUPPORT, DataPlaneSupport, supported_features
from reference_impl.controller.model import Obj, snapshot_of

T0 = "2026-11-26T03:00:00Z"
IMAGE = "gateway-harness/reference-proxy:test"
GW = ("infra", "gw")
ROUTE = ("infra", "tls-route")
TLS_PORT = {"name": "tls", "port": 8443, "targetPort": 8443}
CERT, KEY = ex.self_signed_pem("tls.example.com")
PASSTHROUGH_ONLY = DataPlaneSupport(
    route_kinds=FULL_SUPPORT.route_kinds,
    tls_listener_modes=frozenset({"Passthrough"}),
    backend_tls=True,
)

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
        ex.service(ports=[TLS_PORT]),
        ex.endpoint_slice(port=8443, port_name="tls"),
        *extra,
    ]


def tls_gateway(*listeners: Obj) -> Obj:
    return ex.gateway(listeners=list(listeners) or [ex.tls_listener(hostname="*.example.com")])


def has(conditions: list[Obj], type_: str, status: str, reason: str) -> bool:
    found = [c for c in conditions if c["type"] == type_]
    assert len(found) == 1, conditions
    return bool(found[0]["status"] == status and found[0]["reason"] == reason)


def tls_parent(result: ComputeResult, route: tuple[str, str] = ROUTE) -> Obj:
    parents = [
        p
        for p in result.tls_route_statuses[route]["parents"]
        if p["controllerName"] == CONTROLLER_NAME
    ]
    assert len(parents) == 1, parents
    only: Obj = parents[0]
    return only


def listener_entry(result: ComputeResult, name: str = "tls") -> Obj:
    entry: Obj = next(e for e in result.gateway_statuses[GW]["listeners"] if e["name"] == name)
    return entry


def table_listener(result: ComputeResult, name: str = "tls") -> Obj:
    found: Obj = next(lst for lst in result.routing_tables[GW]["listeners"] if lst["name"] == name)
    return found


def kinds(entry: Obj) -> list[str]:
    return [k["kind"] for k in entry["supportedKinds"]]


# ------------------------------------------------------------------ listeners


def test_http_only_proxy_does_not_accept_tls_listeners() -> None:
    result = run(*base(tls_gateway()), support=HTTP_ONLY)
    entry = listener_entry(result)
    assert has(entry["conditions"], "Accepted", "False", "UnsupportedProtocol")
    assert entry["supportedKinds"] == []


def test_passthrough_listener_is_programmed_for_tls_routes() -> None:
    result = run(*base(tls_gateway()))
    entry = listener_entry(result)
    assert kinds(entry) == ["TLSRoute"]
    for type_ in ("Accepted", "Programmed", "ResolvedRefs"):
        assert has(entry["conditions"], type_, "True", type_)
    assert table_listener(result)["tls"] == {"mode": "Passthrough", "certificates": []}
    assert table_listener(result)["protocol"] == "TLS"


def test_passthrough_listener_with_tcp_route_kind_reports_invalid_kinds() -> None:
    listener = ex.tls_listener()
    listener["allowedRoutes"] = {"kinds": [{"kind": "TCPRoute"}, {"kind": "TLSRoute"}]}
    entry = listener_entry(run(*base(tls_gateway(listener))))
    assert entry["supportedKinds"] == [{"group": GATEWAY_GROUP, "kind": "TLSRoute"}]
    assert has(entry["conditions"], "ResolvedRefs", "False", "InvalidRouteKinds")


def test_terminate_listener_uses_its_certificate() -> None:
    gw = tls_gateway(ex.tls_listener(mode="Terminate", hostname="tls.example.com", secret="cert"))
    result = run(*base(gw, ex.tls_secret("cert", "infra", CERT, KEY)))
    entry = listener_entry(result)
    assert kinds(entry) == ["TLSRoute"]
    assert has(entry["conditions"], "Accepted", "True", "Accepted")
    assert has(entry["conditions"], "Programmed", "True", "Programmed")
    assert table_listener(result)["tls"] == {
        "mode": "Terminate",
        "certificates": [{"certPem": CERT, "keyPem": KEY}],
    }


def test_terminate_listener_without_certificate_is_not_programmed() -> None:
    gw = tls_gateway(ex.tls_listener(mode="Terminate", secret="missing"))
    result = run(*base(gw))
    conditions = listener_entry(result)["conditions"]
    assert has(conditions, "ResolvedRefs", "False", "InvalidCertificateRef")
    assert has(conditions, "Programmed", "False", "Invalid")
    assert GW not in result.routing_tables or not any(
        lst["name"] == "tls" for lst in result.routing_tables[GW]["listeners"]
    )


def test_terminate_without_proxy_support_is_unsupported_value() -> None:
    gw = tls_gateway(ex.tls_listener(mode="Terminate", secret="cert"))
    result = run(*base(gw, ex.tls_secret("cert", "infra", CERT, KEY)), support=PASSTHROUGH_ONLY)
    entry = listener_entry(result)
    assert has(entry["conditions"], "Accepted", "False", "UnsupportedValue")
    assert entry["supportedKinds"] == []


def mixed_modes_gateway() -> Obj:
    return tls_gateway(
        ex.tls_listener("pass", 8883, hostname="abc.example.com"),
        ex.tls_listener("term", 8883, "Terminate", hostname="tls.example.com", secret="cert"),
    )


def test_mixed_tls_modes_share_a_port_when_the_proxy_mixes_them() -> None:
    result = run(*base(mixed_modes_gateway(), ex.tls_secret("cert", "infra", CERT, KEY)))
    for name in ("pass", "term"):
        entry = listener_entry(result, name)
        assert has(entry["conditions"], "Accepted", "True", "Accepted")
        assert has(entry["conditions"], "Conflicted", "False", "NoConflicts")
        assert [k["kind"] for k in entry["supportedKinds"]] == ["TLSRoute"]
    assert "TLSRouteModeMixed" in supported_features(FULL_SUPPORT)


def test_mixed_tls_modes_on_one_port_conflict_without_proxy_support() -> None:
    unmixed = dataclasses.replace(FULL_SUPPORT, tls_mixed_modes=False)
    assert "TLSRouteModeMixed" not in supported_features(unmixed)
    gw = mixed_modes_gateway()
    result = run(*base(gw, ex.tls_secret("cert", "infra", CERT, KEY)), support=unmixed)
    for name in ("pass", "term"):
        conditions = listener_entry(result, name)["conditions"]
        assert has(conditions, "Accepted", "False", "ProtocolConflict")
        assert has(conditions, "Conflicted", "True", "ProtocolConflict")
        # Regression: upstream expects no supported kinds on listeners that cannot be served.
        assert listener_entry(result, name)["supportedKinds"] == []


def test_same_mode_listeners_with_distinct_hostnames_share_a_port() -> None:
    gw = tls_gateway(
        ex.tls_listener("a", 8883, hostname="a.example.com"),
        ex.tls_listener("b", 8883, hostname="b.example.com"),
    )
    result = run(*base(gw))
    for name in ("a", "b"):
        assert has(listener_entry(result, name)["conditions"], "Accepted", "True", "Accepted")


# ------------------------------------------------------------------ attachment and status


def test_tls_route_accepted_on_matching_sni_listener() -> None:
    result = run(*base(tls_gateway(), ex.tls_route()))
    conditions = tls_parent(result)["conditions"]
    assert has(conditions, "Accepted", "True", "Accepted")
    assert has(conditions, "ResolvedRefs", "True", "ResolvedRefs")
    assert listener_entry(result)["attachedRoutes"] == 1
    assert ROUTE not in result.http_route_statuses


def test_tls_route_on_http_listener_is_not_allowed() -> None:
    result = run(*base(ex.gateway(), ex.tls_route()))
    assert has(tls_parent(result)["conditions"], "Accepted", "False", "NotAllowedByListeners")
    assert listener_entry(result, "http")["attachedRoutes"] == 0


def test_tls_route_to_missing_section_has_no_matching_parent() -> None:
    route = ex.tls_route(parents=[{"name": "gw", "namespace": "infra", "sectionName": "nope"}])
    result = run(*base(tls_gateway(), route))
    assert has(tls_parent(result)["conditions"], "Accepted", "False", "NoMatchingParent")


def test_http_route_on_tls_listener_is_not_allowed() -> None:
    result = run(*base(tls_gateway(), ex.http_route()))
    parents = result.http_route_statuses[("infra", "route")]["parents"]
    assert has(parents[0]["conditions"], "Accepted", "False", "NotAllowedByListeners")


def test_sni_hostnames_must_intersect() -> None:
    miss = run(*base(tls_gateway(), ex.tls_route(hostnames=["non.matching.com"])))
    assert has(tls_parent(miss)["conditions"], "Accepted", "False", "NoMatchingListenerHostname")
    assert listener_entry(miss)["attachedRoutes"] == 0
    exact = tls_gateway(ex.tls_listener(hostname="abc.example.com"))
    hit = run(*base(exact, ex.tls_route(hostnames=["*.example.com", "non.matching.com"])))
    assert has(tls_parent(hit)["conditions"], "Accepted", "True", "Accepted")
    (entry,) = table_listener(hit)["routes"]
    assert entry["hostnames"] == ["abc.example.com"]


def test_invalid_backends_keep_route_accepted_and_are_rejected_in_table() -> None:
    unknown = ex.tls_route(backend_refs=[{"group": "x.io", "kind": "Thing", "name": "backend"}])
    result = run(*base(tls_gateway(), unknown))
    conditions = tls_parent(result)["conditions"]
    assert has(conditions, "Accepted", "True", "Accepted")
    assert has(conditions, "ResolvedRefs", "False", "InvalidKind")
    (backend,) = table_listener(result)["routes"][0]["backends"]
    assert backend["valid"] is False
    missing = run(*base(tls_gateway(), ex.tls_route(backend_refs=[ex.backend_ref("gone", 8443)])))
    assert has(tls_parent(missing)["conditions"], "ResolvedRefs", "False", "BackendNotFound")


def test_cross_namespace_backend_needs_grant_from_tls_route() -> None:
    remote = ex.service("remote", "apps", ports=[TLS_PORT])
    route = ex.tls_route(backend_refs=[ex.backend_ref("remote", 8443, namespace="apps")])
    denied = run(*base(tls_gateway(), remote, route))
    assert has(tls_parent(denied)["conditions"], "ResolvedRefs", "False", "RefNotPermitted")
    grant = ex.reference_grant(
        "apps",
        [{"group": GATEWAY_GROUP, "kind": "TLSRoute", "namespace": "infra"}],
        [{"group": "", "kind": "Service"}],
    )
    allowed = run(*base(tls_gateway(), remote, route, grant))
    assert has(tls_parent(allowed)["conditions"], "ResolvedRefs", "True", "ResolvedRefs")


# ------------------------------------------------------------------ translation


def test_tls_route_entry_carries_sni_hostnames_and_weighted_tcp_backends() -> None:
    other = ex.service(
        "other", ports=[{"name": "tls", "port": 9443, "appProtocol": "kubernetes.io/ws"}]
    )
    other_eps = ex.endpoint_slice(
        "other", addresses=[("198.18.0.11", True)], port=9443, port_name="tls"
    )
    route = ex.tls_route(
        backend_refs=[ex.backend_ref("backend", 8443, weight=3), ex.backend_ref("other", 9443)]
    )
    route["spec"]["rules"][0]["name"] = "only"
    result = run(*base(tls_gateway(), other, other_eps, route))
    (entry,) = table_listener(result)["routes"]
    assert entry["kind"] == "TLSRoute"
    assert (entry["namespace"], entry["name"], entry["ruleName"]) == ("infra", "tls-route", "only")
    assert entry["hostnames"] == ["abc.example.com"]
    first, second = entry["backends"]
    assert (first["name"], first["weight"], first["valid"]) == ("infra/backend:8443", 3, True)
    assert first["endpoints"] == [{"ip": "198.18.0.10", "port": 8443}]
    # Raw TCP: a Service's appProtocol does not make a TLSRoute backend invalid.
    assert (second["weight"], second["valid"]) == (1, True)
    assert second["endpoints"] == [{"ip": "198.18.0.11", "port": 9443}]


def test_tls_listener_without_tls_route_support_admits_nothing() -> None:
    support = DataPlaneSupport(
        route_kinds=frozenset({"HTTPRoute"}),
        tls_listener_modes=frozenset({"Passthrough"}),
        backend_tls=False,
    )
    result = run(*base(tls_gateway(), ex.tls_route()), support=support)
    entry = listener_entry(result)
    assert entry["supportedKinds"] == []
    assert has(entry["conditions"], "Programmed", "False", "Invalid")
    assert has(tls_parent(result)["conditions"], "Accepted", "False", "NotAllowedByListeners")
    assert result.routing_tables[GW]["listeners"] == []
