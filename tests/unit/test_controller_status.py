"""Status computation: every GatewayClass, Gateway, listener and HTTPRoute condition and reason."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from reference_impl.controller import examples as ex
from reference_impl.controller.compute import ComputeResult, compute
from reference_impl.controller.constants import CONTROLLER_NAME, GATEWAY_KEY_LABEL
from reference_impl.controller.model import Obj, snapshot_of
from reference_impl.controller.naming import gateway_hash, proxy_name

T0, T1 = "2026-11-26T03:00:00Z", "2026-11-26T03:10:00Z"
IMAGE = "gateway-harness/reference-proxy:test"
GW = ("infra", "gw")


def run(*objects: Obj, now: str = T0, **options: Any) -> ComputeResult:
    return compute(snapshot_of(objects, now, **options), IMAGE)


def cond(conditions: list[Obj], type_: str) -> Obj:
    found = [c for c in conditions if c["type"] == type_]
    assert len(found) == 1, f"expected one {type_} in {conditions}"
    return found[0]


def has(conditions: list[Obj], type_: str, status: str, reason: str) -> bool:
    c = cond(conditions, type_)
    return bool(c["status"] == status and c["reason"] == reason)


def listener_status(result: ComputeResult, name: str, key: tuple[str, str] = GW) -> Obj:
    return next(e for e in result.gateway_statuses[key]["listeners"] if e["name"] == name)


def parent(result: ComputeResult, route: tuple[str, str] = ("infra", "route")) -> Obj:
    parents = [
        p
        for p in result.http_route_statuses[route]["parents"]
        if p["controllerName"] == CONTROLLER_NAME
    ]
    assert len(parents) == 1, parents
    only: Obj = parents[0]
    return only


CERT, KEY = ex.self_signed_pem()


def https(
    name: str = "https",
    port: int = 443,
    secret: str = "cert",
    hostname: str | None = None,
    **ref: str,
) -> Obj:
    return ex.listener(
        name, port, "HTTPS", hostname, tls={"certificateRefs": [{"name": secret, **ref}]}
    )


def lb_service(ip: str = "198.19.16.5") -> Obj:
    svc = ex.service(proxy_name(GW), "infra", type="LoadBalancer")
    svc["status"] = {"loadBalancer": {"ingress": [{"ip": ip}]}}
    return svc


def proxy_pod(ready: bool = True) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "gw-proxy-1",
            "namespace": "infra",
            "labels": {GATEWAY_KEY_LABEL: gateway_hash(GW)},
        },
        "status": {
            "podIP": "198.18.0.20",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


# ------------------------------------------------------------------ GatewayClass


def test_gateway_class_accepted_with_sorted_supported_features() -> None:
    result = run(ex.gateway_class(generation=3))
    status = result.gateway_class_statuses["reference"]
    accepted = cond(status["conditions"], "Accepted")
    assert (accepted["status"], accepted["reason"], accepted["observedGeneration"]) == (
        "True",
        "Accepted",
        3,
    )
    assert accepted["lastTransitionTime"] == T0
    names = [f["name"] for f in status["supportedFeatures"]]
    assert names == sorted(names)
    assert {"Gateway", "HTTPRoute", "ReferenceGrant"} <= set(names)


def test_gateway_class_of_another_controller_is_left_alone() -> None:
    result = run(ex.gateway_class("other", controller="example.com/other"))
    assert result.gateway_class_statuses == {}


def test_gateway_class_name_filter() -> None:
    result = run(ex.gateway_class("a"), ex.gateway_class("b"), gateway_class_names=frozenset({"b"}))
    assert set(result.gateway_class_statuses) == {"b"}


def test_gateway_class_with_parameters_is_rejected_and_its_gateways_ignored() -> None:
    gc = ex.gateway_class(parametersRef={"group": "", "kind": "ConfigMap", "name": "p"})
    result = run(gc, ex.gateway())
    assert has(
        result.gateway_class_statuses["reference"]["conditions"],
        "Accepted",
        "False",
        "InvalidParameters",
    )
    assert result.gateway_statuses == {}


def test_observed_generation_follows_spec_change_and_transition_time_stays() -> None:
    gc = ex.gateway_class(generation=1)
    first = run(gc, now=T0).gateway_class_statuses["reference"]
    gc2 = ex.gateway_class(generation=2, description="changed")
    gc2["status"] = first
    second = run(gc2, now=T1).gateway_class_statuses["reference"]
    accepted = cond(second["conditions"], "Accepted")
    assert accepted["observedGeneration"] == 2
    assert accepted["lastTransitionTime"] == T0


def test_default_pending_condition_is_replaced() -> None:
    gc = ex.gateway_class()
    gc["status"] = {
        "conditions": [
            {
                "type": "Accepted",
                "status": "Unknown",
                "reason": "Pending",
                "message": "Waiting for controller",
                "lastTransitionTime": "1970-01-01T00:00:00Z",
            }
        ]
    }
    status = run(gc).gateway_class_statuses["reference"]
    assert status["conditions"] == [
        {
            "type": "Accepted",
            "status": "True",
            "reason": "Accepted",
            "message": "Handled by the reference controller",
            "observedGeneration": 1,
            "lastTransitionTime": T0,
        }
    ]


# ------------------------------------------------------------------ Gateway


def test_gateway_of_foreign_class_gets_no_status() -> None:
    result = run(ex.gateway_class(), ex.gateway(class_name="someone-else"))
    assert result.gateway_statuses == {}


def test_valid_gateway_without_address_is_accepted_not_programmed() -> None:
    result = run(ex.gateway_class(), ex.gateway(generation=4))
    conditions = result.gateway_statuses[GW]["conditions"]
    assert has(conditions, "Accepted", "True", "Accepted")
    assert has(conditions, "Programmed", "False", "AddressNotAssigned")
    assert all(c["observedGeneration"] == 4 for c in conditions)
    assert "addresses" not in result.gateway_statuses[GW]


def test_gateway_with_address_waits_for_ready_proxy_then_is_programmed() -> None:
    waiting = run(ex.gateway_class(), ex.gateway(), lb_service(), proxy_pod(ready=False))
    assert has(waiting.gateway_statuses[GW]["conditions"], "Programmed", "False", "Pending")
    ready = run(ex.gateway_class(), ex.gateway(), lb_service(), proxy_pod(ready=True))
    status = ready.gateway_statuses[GW]
    assert has(status["conditions"], "Programmed", "True", "Programmed")
    assert status["addresses"] == [{"type": "IPAddress", "value": "198.19.16.5"}]


def test_listener_status_of_valid_http_listener() -> None:
    entry = listener_status(run(ex.gateway_class(), ex.gateway()), "http")
    assert entry["supportedKinds"] == [
        {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"},
        {"group": "gateway.networking.k8s.io", "kind": "GRPCRoute"},
    ]
    assert entry["attachedRoutes"] == 0
    for type_, reason in [
        ("Accepted", "Accepted"),
        ("Programmed", "Programmed"),
        ("ResolvedRefs", "ResolvedRefs"),
    ]:
        assert has(entry["conditions"], type_, "True", reason)
    assert has(entry["conditions"], "Conflicted", "False", "NoConflicts")


def test_only_unsupported_listener_rejects_gateway() -> None:
    gw = ex.gateway(listeners=[ex.listener("tcp", 9000, "TCP")])
    result = run(ex.gateway_class(), gw)
    conditions = result.gateway_statuses[GW]["conditions"]
    assert has(conditions, "Accepted", "False", "ListenersNotValid")
    assert has(conditions, "Programmed", "False", "Invalid")
    entry = listener_status(result, "tcp")
    assert entry["supportedKinds"] == []
    assert has(entry["conditions"], "Accepted", "False", "UnsupportedProtocol")
    assert GW not in result.proxies


def test_mixed_listeners_accept_gateway_with_listeners_not_valid() -> None:
    gw = ex.gateway(listeners=[ex.listener(), ex.listener("udp", 5300, "UDP")])
    result = run(ex.gateway_class(), gw, lb_service(), proxy_pod())
    conditions = result.gateway_statuses[GW]["conditions"]
    assert has(conditions, "Accepted", "True", "ListenersNotValid")
    assert has(conditions, "Programmed", "True", "Programmed")
    assert has(listener_status(result, "http")["conditions"], "Accepted", "True", "Accepted")
    assert has(
        listener_status(result, "udp")["conditions"], "Accepted", "False", "UnsupportedProtocol"
    )


def test_protocol_conflict_on_one_port_has_no_winner() -> None:
    gw = ex.gateway(
        listeners=[ex.listener("http", 8443), https("https", 8443), ex.listener("other", 80)]
    )
    result = run(ex.gateway_class(), gw, ex.tls_secret("cert", "infra", CERT, KEY))
    for name in ("http", "https"):
        conditions = listener_status(result, name)["conditions"]
        assert has(conditions, "Conflicted", "True", "ProtocolConflict")
        assert has(conditions, "Accepted", "False", "ProtocolConflict")
        assert has(conditions, "Programmed", "False", "ProtocolConflict")
    assert has(listener_status(result, "other")["conditions"], "Accepted", "True", "Accepted")
    assert has(result.gateway_statuses[GW]["conditions"], "Accepted", "True", "ListenersNotValid")
    assert [lst["name"] for lst in result.routing_tables[GW]["listeners"]] == ["other"]


def test_hostname_conflict_and_distinct_hostnames() -> None:
    gw = ex.gateway(
        listeners=[
            ex.listener("a", 80, hostname="foo.com"),
            ex.listener("b", 80, hostname="foo.com"),
            ex.listener("c", 80, hostname="bar.com"),
        ]
    )
    result = run(ex.gateway_class(), gw)
    for name in ("a", "b"):
        assert has(
            listener_status(result, name)["conditions"], "Conflicted", "True", "HostnameConflict"
        )
    assert has(listener_status(result, "c")["conditions"], "Conflicted", "False", "NoConflicts")


def test_admin_port_is_unavailable() -> None:
    gw = ex.gateway(listeners=[ex.listener(), ex.listener("admin", 19000)])
    result = run(ex.gateway_class(), gw)
    assert has(
        listener_status(result, "admin")["conditions"], "Accepted", "False", "PortUnavailable"
    )


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        ([{"kind": "InvalidRoute"}], []),
        (
            [{"kind": "InvalidRoute"}, {"kind": "HTTPRoute"}],
            [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
        ),
        ([{"group": "example.com", "kind": "HTTPRoute"}], []),
    ],
)
def test_invalid_route_kinds(kinds: list[Obj], expected: list[Obj]) -> None:
    gw = ex.gateway(listeners=[ex.listener(allowedRoutes={"kinds": kinds})])
    entry = listener_status(run(ex.gateway_class(), gw), "http")
    assert entry["supportedKinds"] == expected
    assert has(entry["conditions"], "ResolvedRefs", "False", "InvalidRouteKinds")
    assert entry["attachedRoutes"] == 0


def test_https_listener_with_valid_certificate() -> None:
    gw = ex.gateway(listeners=[https()])
    result = run(ex.gateway_class(), gw, ex.tls_secret("cert", "infra", CERT, KEY))
    entry = listener_status(result, "https")
    assert has(entry["conditions"], "ResolvedRefs", "True", "ResolvedRefs")
    assert has(entry["conditions"], "Programmed", "True", "Programmed")
    tls = result.routing_tables[GW]["listeners"][0]["tls"]
    assert tls == {"mode": "Terminate", "certificates": [{"certPem": CERT, "keyPem": KEY}]}


@pytest.mark.parametrize(
    ("listener", "objects", "reason"),
    [
        (https(), [], "InvalidCertificateRef"),
        (https(group="example.com"), [], "InvalidCertificateRef"),
        (https(kind="WrongKind"), [], "InvalidCertificateRef"),
        (https(), [ex.tls_secret("cert", "infra", "not a pem", KEY)], "InvalidCertificateRef"),
        (
            https(),
            [ex.tls_secret("cert", "infra", ex.self_signed_pem()[0], KEY)],
            "InvalidCertificateRef",
        ),
        (
            https(namespace="certs"),
            [ex.tls_secret("cert", "certs", CERT, KEY)],
            "RefNotPermitted",
        ),
        (
            https(namespace="certs"),
            [
                ex.tls_secret("cert", "certs", CERT, KEY),
                ex.reference_grant(
                    "certs",
                    [
                        {
                            "group": "gateway.networking.k8s.io",
                            "kind": "Gateway",
                            "namespace": "infra",
                        }
                    ],
                    [{"group": "", "kind": "Secret", "name": "other"}],
                ),
            ],
            "RefNotPermitted",
        ),
    ],
)
def test_invalid_certificate_refs(listener: Obj, objects: list[Obj], reason: str) -> None:
    gw = ex.gateway(listeners=[listener])
    result = run(ex.gateway_class(), gw, *objects)
    entry = listener_status(result, "https")
    assert has(entry["conditions"], "ResolvedRefs", "False", reason)
    assert has(entry["conditions"], "Programmed", "False", "Invalid")
    assert has(entry["conditions"], "Accepted", "True", "Accepted")
    assert has(result.gateway_statuses[GW]["conditions"], "Accepted", "True", "Accepted")
    assert result.routing_tables[GW]["listeners"] == []


def test_cross_namespace_certificate_with_grant() -> None:
    gw = ex.gateway(listeners=[https(namespace="certs")])
    grant = ex.reference_grant(
        "certs",
        [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "infra"}],
        [{"group": "", "kind": "Secret"}],
    )
    result = run(ex.gateway_class(), gw, grant, ex.tls_secret("cert", "certs", CERT, KEY))
    assert has(
        listener_status(result, "https")["conditions"], "ResolvedRefs", "True", "ResolvedRefs"
    )


def test_unsupported_address_type() -> None:
    gw = ex.gateway(addresses=[{"type": "test/fake-invalid-type", "value": "x"}])
    result = run(ex.gateway_class(), gw)
    assert has(result.gateway_statuses[GW]["conditions"], "Accepted", "False", "UnsupportedAddress")


def test_requested_address_not_usable_and_usable() -> None:
    gw = ex.gateway(addresses=[{"type": "IPAddress", "value": "198.19.16.99"}])
    result = run(ex.gateway_class(), gw, lb_service("198.19.16.5"), proxy_pod())
    assert has(result.gateway_statuses[GW]["conditions"], "Programmed", "False", "AddressNotUsable")
    service = result.proxies[GW].service
    assert service is not None
    assert service["spec"]["loadBalancerIP"] == "198.19.16.99"
    ok = run(ex.gateway_class(), gw, lb_service("198.19.16.99"), proxy_pod())
    assert has(ok.gateway_statuses[GW]["conditions"], "Programmed", "True", "Programmed")


def test_infrastructure_parameters_ref_is_invalid() -> None:
    gw = ex.gateway(
        infrastructure={"parametersRef": {"group": "", "kind": "ConfigMap", "name": "x"}}
    )
    result = run(ex.gateway_class(), gw)
    assert has(result.gateway_statuses[GW]["conditions"], "Accepted", "False", "InvalidParameters")


def test_gateway_observed_generation_after_listener_added() -> None:
    gw = ex.gateway(generation=1)
    first = run(ex.gateway_class(), gw, now=T0).gateway_statuses[GW]
    gw2 = ex.gateway(generation=2, listeners=[ex.listener(), ex.listener("alt", 8080)])
    gw2["status"] = first
    second = run(ex.gateway_class(), gw2, now=T1).gateway_statuses[GW]
    assert all(c["observedGeneration"] == 2 for c in second["conditions"])
    assert cond(second["conditions"], "Accepted")["lastTransitionTime"] == T0
    assert [entry["name"] for entry in second["listeners"]] == ["http", "alt"]
    http_accepted = cond(second["listeners"][0]["conditions"], "Accepted")
    assert http_accepted["lastTransitionTime"] == T0
    assert http_accepted["observedGeneration"] == 2
    assert cond(second["listeners"][1]["conditions"], "Accepted")["lastTransitionTime"] == T1


# ------------------------------------------------------------------ HTTPRoute


def base(*extra: Obj) -> list[Obj]:
    return [
        ex.gateway_class(),
        ex.service(),
        ex.endpoint_slice(),
        ex.namespace("infra"),
        ex.namespace("apps", {"team": "apps"}),
        *extra,
    ]


def test_route_accepted_and_attached() -> None:
    result = run(*base(ex.gateway(), ex.http_route(generation=5)))
    p = parent(result)
    assert p["parentRef"] == {
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "namespace": "infra",
        "name": "gw",
    }
    assert has(p["conditions"], "Accepted", "True", "Accepted")
    assert has(p["conditions"], "ResolvedRefs", "True", "ResolvedRefs")
    assert all(c["observedGeneration"] == 5 for c in p["conditions"])
    assert listener_status(result, "http")["attachedRoutes"] == 1


@pytest.mark.parametrize(
    "parent_ref",
    [
        {"name": "gw", "sectionName": "nope"},
        {"name": "gw", "port": 8080},
        {"name": "gw", "sectionName": "http", "port": 8080},
    ],
)
def test_no_matching_parent(parent_ref: Obj) -> None:
    result = run(*base(ex.gateway(), ex.http_route(parents=[parent_ref])))
    assert has(parent(result)["conditions"], "Accepted", "False", "NoMatchingParent")
    assert has(parent(result)["conditions"], "ResolvedRefs", "True", "ResolvedRefs")
    assert listener_status(result, "http")["attachedRoutes"] == 0


def test_cross_namespace_route_not_allowed_by_same() -> None:
    route = ex.http_route(namespace="apps", parents=[{"name": "gw", "namespace": "infra"}])
    result = run(*base(ex.gateway(), route, ex.service(namespace="apps")))
    p = parent(result, ("apps", "route"))
    assert has(p["conditions"], "Accepted", "False", "NotAllowedByListeners")
    assert listener_status(result, "http")["attachedRoutes"] == 0


@pytest.mark.parametrize(("team", "accepted"), [("apps", True), ("other", False)])
def test_namespace_selector(team: str, accepted: bool) -> None:
    gw = ex.gateway(
        listeners=[
            ex.listener(
                allowedRoutes={
                    "namespaces": {"from": "Selector", "selector": {"matchLabels": {"team": team}}}
                }
            )
        ]
    )
    route = ex.http_route(namespace="apps", parents=[{"name": "gw", "namespace": "infra"}])
    result = run(*base(gw, route, ex.service(namespace="apps")))
    conditions = parent(result, ("apps", "route"))["conditions"]
    if accepted:
        assert has(conditions, "Accepted", "True", "Accepted")
    else:
        assert has(conditions, "Accepted", "False", "NotAllowedByListeners")


def test_route_kind_not_allowed() -> None:
    gw = ex.gateway(listeners=[ex.listener(allowedRoutes={"kinds": [{"kind": "TLSRoute"}]})])
    result = run(*base(gw, ex.http_route()))
    assert has(parent(result)["conditions"], "Accepted", "False", "NotAllowedByListeners")


def test_hostname_intersection_decides_acceptance_and_attached_routes() -> None:
    gw = ex.gateway(
        listeners=[
            ex.listener("specific", 80, hostname="very.specific.com"),
            ex.listener("wildcard", 80, hostname="*.wildcard.io"),
            ex.listener("any", 8080),
        ]
    )
    good = ex.http_route("good", hostnames=["non.matching.com", "very.specific.com"])
    wild = ex.http_route("wild", hostnames=["foo.wildcard.io"])
    bad = ex.http_route(
        "bad",
        parents=[{"name": "gw", "sectionName": "specific"}],
        hostnames=["specific.but.wrong.com", "wildcard.io"],
    )
    result = run(*base(gw, good, wild, bad))
    assert has(
        parent(result, ("infra", "bad"))["conditions"],
        "Accepted",
        "False",
        "NoMatchingListenerHostname",
    )
    assert listener_status(result, "specific")["attachedRoutes"] == 1
    assert listener_status(result, "wildcard")["attachedRoutes"] == 1
    assert listener_status(result, "any")["attachedRoutes"] == 2
    tables = {lst["name"]: lst for lst in result.routing_tables[GW]["listeners"]}
    assert [(r["name"], r["hostnames"]) for r in tables["specific"]["routes"]] == [
        ("good", ["very.specific.com"])
    ]
    assert [r["name"] for r in tables["any"]["routes"]] == ["good", "wild"]


def test_attached_routes_counted_on_listener_with_unresolved_certificate() -> None:
    gw = ex.gateway(listeners=[https(secret="missing")])
    route = ex.http_route(rules=[{"backendRefs": [ex.backend_ref("nonexistent")]}])
    result = run(*base(gw, route))
    entry = listener_status(result, "https")
    assert entry["attachedRoutes"] == 1
    assert has(entry["conditions"], "Programmed", "False", "Invalid")
    assert has(parent(result)["conditions"], "ResolvedRefs", "False", "BackendNotFound")


def test_unsupported_values_reject_route_when_every_rule_is_invalid() -> None:
    route = ex.http_route(
        rules=[{"matches": [{"path": {"type": "Glob", "value": "/x"}}], "backendRefs": []}]
    )
    result = run(*base(ex.gateway(), route))
    assert has(parent(result)["conditions"], "Accepted", "False", "UnsupportedValue")
    assert listener_status(result, "http")["attachedRoutes"] == 0


def test_partially_invalid_route_drops_the_rule() -> None:
    route = ex.http_route(
        rules=[
            {"backendRefs": [ex.backend_ref("backend")]},
            {"filters": [{"type": "ExternalAuth", "externalAuth": {}}]},
        ]
    )
    result = run(*base(ex.gateway(), route))
    conditions = parent(result)["conditions"]
    assert has(conditions, "Accepted", "True", "Accepted")
    partially = cond(conditions, "PartiallyInvalid")
    assert partially["status"] == "True"
    assert partially["message"].startswith("Dropped Rule")
    rules = result.routing_tables[GW]["listeners"][0]["routes"][0]["rules"]
    assert [r["index"] for r in rules] == [0]


@pytest.mark.parametrize(
    ("ref", "extra", "reason"),
    [
        (ex.backend_ref("nonexistent"), [], "BackendNotFound"),
        (ex.backend_ref("backend", port=9999), [], "BackendNotFound"),
        (
            ex.backend_ref("x", group="unknownkind.example.com", kind="NonExistent"),
            [],
            "InvalidKind",
        ),
        (ex.backend_ref("web", namespace="apps"), [ex.service("web", "apps")], "RefNotPermitted"),
        (
            ex.backend_ref("backend"),
            [],
            "UnsupportedProtocol",
        ),
    ],
)
def test_backend_ref_reasons(ref: Obj, extra: list[Obj], reason: str) -> None:
    objects = base(ex.gateway(), ex.http_route(rules=[{"backendRefs": [ref]}]), *extra)
    if reason == "UnsupportedProtocol":
        objects = [o for o in objects if o["kind"] != "Service"] + [
            ex.service(ports=[{"name": "http", "port": 8080, "appProtocol": "kubernetes.io/wss"}])
        ]
    result = run(*objects)
    conditions = parent(result)["conditions"]
    assert has(conditions, "ResolvedRefs", "False", reason)
    assert has(conditions, "Accepted", "True", "Accepted")
    backend = result.routing_tables[GW]["listeners"][0]["routes"][0]["rules"][0]["backends"][0]
    assert backend["valid"] is False


def test_reference_grant_permits_and_its_removal_revokes() -> None:
    route = ex.http_route(rules=[{"backendRefs": [ex.backend_ref("web", namespace="apps")]}])
    grant = ex.reference_grant(
        "apps",
        [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "infra"}],
        [{"group": "", "kind": "Service", "name": "web"}],
    )
    objects = base(ex.gateway(), route, ex.service("web", "apps"), ex.endpoint_slice("web", "apps"))
    granted = run(*objects, grant)
    assert has(parent(granted)["conditions"], "ResolvedRefs", "True", "ResolvedRefs")
    revoked_route = dict(route, status=granted.http_route_statuses[("infra", "route")])
    revoked = run(*[o for o in objects if o is not route], revoked_route, now=T1)
    resolved = cond(parent(revoked)["conditions"], "ResolvedRefs")
    assert (resolved["status"], resolved["reason"]) == ("False", "RefNotPermitted")
    assert resolved["lastTransitionTime"] == T1


def test_extension_ref_filter_is_reported_and_answers_500() -> None:
    route = ex.http_route(
        rules=[
            {
                "filters": [
                    {
                        "type": "ExtensionRef",
                        "extensionRef": {"group": "x.io", "kind": "F", "name": "f"},
                    }
                ],
                "backendRefs": [ex.backend_ref("backend")],
            }
        ]
    )
    result = run(*base(ex.gateway(), route))
    assert has(parent(result)["conditions"], "ResolvedRefs", "False", "InvalidKind")
    rule = result.routing_tables[GW]["listeners"][0]["routes"][0]["rules"][0]
    assert rule["filters"] == []
    assert rule["backends"][0]["valid"] is False


def test_foreign_parent_entries_are_kept_and_our_stale_entries_removed() -> None:
    foreign = {
        "parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "theirs"},
        "controllerName": "example.com/other",
        "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted"}],
    }
    stale = {
        "parentRef": {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "namespace": "infra",
            "name": "gone",
        },
        "controllerName": CONTROLLER_NAME,
        "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted"}],
    }
    route = ex.http_route(status={"parents": [foreign, stale]})
    result = run(*base(ex.gateway(), route))
    parents = result.http_route_statuses[("infra", "route")]["parents"]
    assert parents[0] == foreign
    assert [p["parentRef"]["name"] for p in parents] == ["theirs", "gw"]


def test_route_with_only_foreign_parents_gets_no_status() -> None:
    route = ex.http_route(parents=[{"name": "elsewhere"}])
    result = run(*base(ex.gateway(), route))
    assert ("infra", "route") not in result.http_route_statuses


def test_route_leaving_us_gets_its_entry_removed() -> None:
    ours = run(*base(ex.gateway(), ex.http_route())).http_route_statuses[("infra", "route")]
    moved = ex.http_route(parents=[{"name": "elsewhere"}], status=ours)
    result = run(*base(ex.gateway(), moved))
    assert result.http_route_statuses[("infra", "route")]["parents"] == []


def test_route_observed_generation_bump_keeps_transition_time() -> None:
    first = run(*base(ex.gateway(), ex.http_route(generation=1)), now=T0)
    route = ex.http_route(
        generation=2,
        hostnames=["changed.example.com"],
        status=first.http_route_statuses[("infra", "route")],
    )
    second = run(*base(ex.gateway(), route), now=T1)
    for c in parent(second)["conditions"]:
        assert c["observedGeneration"] == 2
        assert c["lastTransitionTime"] == T0


def test_gateway_status_keeps_unrelated_fields() -> None:
    gw = ex.gateway()
    gw["status"] = {"attachedListenerSets": 0}
    status = run(ex.gateway_class(), gw).gateway_statuses[GW]
    assert status["attachedListenerSets"] == 0


def test_results_are_deterministic() -> None:
    objects = base(ex.gateway(), ex.http_route())
    assert dataclasses.asdict(run(*objects)) == dataclasses.asdict(run(*objects))


def test_overlapping_tls_hostnames_are_flagged_on_both_listeners() -> None:
    gw = ex.gateway(
        listeners=[
            https("a", hostname="foo.example.com"),
            https("b", hostname="foo.example.org"),
            https("c", hostname="*.example.com"),
            https("d", port=8443, hostname="bar.example.com"),
        ]
    )
    result = run(ex.gateway_class(), gw, ex.tls_secret("cert", "infra", CERT, KEY))
    for name, others in [("a", "c"), ("c", "a")]:
        overlap = cond(listener_status(result, name)["conditions"], "OverlappingTLSConfig")
        assert (overlap["status"], overlap["reason"]) == ("True", "OverlappingHostnames")
        assert others in overlap["message"]
    for name in ("b", "d"):
        types = [c["type"] for c in listener_status(result, name)["conditions"]]
        assert "OverlappingTLSConfig" not in types


def test_a_route_that_cannot_be_evaluated_does_not_stall_the_others() -> None:
    odd = ex.http_route("odd", rules=[{"matches": 5}])  # the schema forbids it; be robust anyway
    result = run(*base(ex.gateway(), odd, ex.http_route("good")))
    assert set(result.http_route_statuses) == {("infra", "good")}
    assert listener_status(result, "http")["attachedRoutes"] == 1
