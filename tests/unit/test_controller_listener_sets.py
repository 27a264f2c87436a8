"""ListenerSets (GEP-1713): allowedListeners, precedence, conflicts, status, routes, tables."""

from __future__ import annotations

from typing import Any

from reference_impl.controller import examples as ex
from reference_impl.controller.compute import ComputeResult, compute
from reference_impl.controller.constants import CONTROLLER_NAME, GATEWAY_GROUP, GATEWAY_KEY_LABEL
from reference_impl.controller.model import Obj, snapshot_of
from reference_impl.controller.naming import gateway_hash, proxy_name

T0 = "2026-11-26T03:00:00Z"
IMAGE = "gateway-harness/reference-proxy:test"
GW = ("infra", "gw")
LS = ("infra", "ls")
SAME = {"namespaces": {"from": "Same"}}
ALL = {"namespaces": {"from": "All"}}
CERT, KEY = ex.self_signed_pem()


def run(*objects: Obj) -> ComputeResult:
    return compute(snapshot_of(objects, T0), IMAGE)


def programmed_proxy() -> list[Obj]:
    """The LoadBalancer Service with an address and a ready proxy Pod: Gateway Programmed."""
    svc = ex.service(proxy_name(GW), "infra", type="LoadBalancer")
    svc["status"] = {"loadBalancer": {"ingress": [{"ip": "198.19.16.5"}]}}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "gw-proxy-1",
            "namespace": "infra",
            "labels": {GATEWAY_KEY_LABEL: gateway_hash(GW)},
        },
        "status": {"podIP": "198.18.0.20", "conditions": [{"type": "Ready", "status": "True"}]},
    }
    return [svc, pod]


def setup(
    *objects: Obj, allowed: Obj | None = SAME, listeners: list[Obj] | None = None
) -> list[Obj]:
    spec: dict[str, Any] = {} if allowed is None else {"allowedListeners": allowed}
    gateway = ex.gateway(
        listeners=listeners or [ex.listener("http", hostname="gw.example.com")], **spec
    )
    return [
        ex.gateway_class(),
        gateway,
        ex.namespace("infra"),
        *programmed_proxy(),
        ex.service("backend"),
        *objects,
    ]


def conditions(status: Obj) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}


def entry(result: ComputeResult, name: str, key: tuple[str, str] = LS) -> Obj:
    return next(e for e in result.listener_set_statuses[key]["listeners"] if e["name"] == name)


def our_parents(result: ComputeResult, route: str = "route") -> list[Obj]:
    return [
        p
        for p in result.http_route_statuses[("infra", route)]["parents"]
        if p["controllerName"] == CONTROLLER_NAME
    ]


def ls_ref(name: str = "ls", **extra: Any) -> Obj:
    return {"group": GATEWAY_GROUP, "kind": "ListenerSet", "name": name, **extra}


# ------------------------------------------------------------------ allowedListeners


def test_listener_sets_are_not_allowed_by_default() -> None:
    result = run(*setup(ex.listener_set(), allowed=None))
    status = result.listener_set_statuses[LS]
    assert conditions(status) == {
        "Accepted": ("False", "NotAllowed"),
        "Programmed": ("False", "NotAllowed"),
    }
    assert conditions(status["listeners"][0])["Accepted"] == ("False", "NotAllowed")
    # Concerned (a ListenerSet names it), so the count is written, as 0.
    assert result.gateway_statuses[GW]["attachedListenerSets"] == 0
    assert [item["name"] for item in result.routing_tables[GW]["listeners"]] == ["http"]


def test_allowed_from_none_rejects() -> None:
    result = run(*setup(ex.listener_set(), allowed={"namespaces": {"from": "None"}}))
    assert conditions(result.listener_set_statuses[LS])["Accepted"] == ("False", "NotAllowed")


def test_allowed_from_same_takes_only_the_gateway_namespace() -> None:
    result = run(
        *setup(
            ex.listener_set(),
            ex.listener_set("other", "apps", [ex.listener("x", hostname="x.example.com")]),
            ex.namespace("apps"),
        )
    )
    assert conditions(result.listener_set_statuses[LS]) == {
        "Accepted": ("True", "Accepted"),
        "Programmed": ("True", "Programmed"),
    }
    assert conditions(result.listener_set_statuses[("apps", "other")])["Accepted"] == (
        "False",
        "NotAllowed",
    )
    assert result.gateway_statuses[GW]["attachedListenerSets"] == 1


def test_allowed_from_selector_reads_the_listener_set_namespace_labels() -> None:
    selector = {"namespaces": {"from": "Selector", "selector": {"matchLabels": {"team": "a"}}}}
    result = run(
        *setup(
            ex.listener_set("in", "a-ns", [ex.listener("a", hostname="a.example.com")]),
            ex.listener_set("out", "b-ns", [ex.listener("b", hostname="b.example.com")]),
            ex.namespace("a-ns", {"team": "a"}),
            ex.namespace("b-ns", {"team": "b"}),
            allowed=selector,
        )
    )
    assert conditions(result.listener_set_statuses[("a-ns", "in")])["Accepted"] == (
        "True",
        "Accepted",
    )
    assert conditions(result.listener_set_statuses[("b-ns", "out")])["Accepted"] == (
        "False",
        "NotAllowed",
    )
    assert result.gateway_statuses[GW]["attachedListenerSets"] == 1


def test_allowed_from_all_and_default_parent_namespace() -> None:
    result = run(
        *setup(
            ex.listener_set("far", "apps", gateway_namespace="infra"),
            ex.listener_set(
                "near",
                "infra",
                [ex.listener("n", hostname="n.example.com")],
                gateway_namespace=None,
            ),
            ex.namespace("apps"),
            allowed=ALL,
        )
    )
    assert conditions(result.listener_set_statuses[("apps", "far")])["Accepted"][0] == "True"
    assert conditions(result.listener_set_statuses[("infra", "near")])["Accepted"][0] == "True"
    assert result.gateway_statuses[GW]["attachedListenerSets"] == 2


def test_listener_set_of_a_foreign_gateway_gets_no_status() -> None:
    foreign = ex.gateway("theirs", class_name="not-ours")
    result = run(*setup(foreign, ex.listener_set(gateway="theirs")))
    assert result.listener_set_statuses == {}


def test_parent_not_accepted() -> None:
    bad_only = [ex.listener("bad", protocol="UDP")]
    result = run(*setup(ex.listener_set(), listeners=bad_only))
    assert conditions(result.listener_set_statuses[LS]) == {
        "Accepted": ("False", "ParentNotAccepted"),
        "Programmed": ("False", "ParentNotAccepted"),
    }


def test_parent_not_programmed_keeps_the_listener_set_unprogrammed() -> None:
    objects = [o for o in setup(ex.listener_set()) if o.get("kind") != "Pod"]
    status = run(*objects).listener_set_statuses[LS]
    assert conditions(status) == {
        "Accepted": ("True", "Accepted"),
        "Programmed": ("False", "ParentNotProgrammed"),
    }


def test_conditions_carry_the_listener_set_generation() -> None:
    status = run(*setup(ex.listener_set(generation=4))).listener_set_statuses[LS]
    assert {c["observedGeneration"] for c in status["conditions"]} == {4}
    assert {c["observedGeneration"] for c in status["listeners"][0]["conditions"]} == {4}


def test_unconcerned_gateway_status_gets_no_count() -> None:
    result = run(*setup(allowed=None))
    assert "attachedListenerSets" not in result.gateway_statuses[GW]


# ------------------------------------------------------------------ precedence and conflicts


def test_gateway_listener_beats_a_listener_set_listener() -> None:
    clash = ex.listener("clash", hostname="gw.example.com")
    own = ex.listener("own", hostname="own.example.com")
    result = run(*setup(ex.listener_set(listeners=[own, clash])))
    lost = conditions(entry(result, "clash"))
    assert lost["Accepted"] == ("False", "HostnameConflict")
    assert lost["Programmed"] == ("False", "HostnameConflict")
    assert lost["Conflicted"] == ("True", "HostnameConflict")
    assert conditions(entry(result, "own"))["Accepted"] == ("True", "Accepted")
    # Some listeners valid: still accepted, with the partial reason; programmed.
    assert conditions(result.listener_set_statuses[LS]) == {
        "Accepted": ("True", "ListenersNotValid"),
        "Programmed": ("True", "Programmed"),
    }
    gateway_listener = result.gateway_statuses[GW]["listeners"][0]
    assert conditions(gateway_listener)["Conflicted"] == ("False", "NoConflicts")


def test_older_listener_set_wins_then_name_breaks_ties() -> None:
    same = [ex.listener("l", hostname="same.example.com")]
    result = run(
        *setup(
            ex.listener_set("b-new", listeners=same, created="2026-11-26T00:00:05Z"),
            ex.listener_set("z-old", listeners=same, created="2026-11-26T00:00:01Z"),
            ex.listener_set("a-new", listeners=same, created="2026-11-26T00:00:05Z"),
        )
    )
    statuses = result.listener_set_statuses
    assert conditions(statuses[("infra", "z-old")])["Accepted"] == ("True", "Accepted")
    for loser in ("a-new", "b-new"):
        assert conditions(statuses[("infra", loser)]) == {
            "Accepted": ("False", "ListenersNotValid"),
            "Programmed": ("False", "ListenersNotValid"),
        }
        assert conditions(entry(result, "l", ("infra", loser)))["Conflicted"] == (
            "True",
            "HostnameConflict",
        )
    assert result.gateway_statuses[GW]["attachedListenerSets"] == 1


def test_protocol_conflict_even_for_a_protocol_the_proxy_lacks() -> None:
    tcp = ex.listener("tcp", port=80, protocol="TCP")
    result = run(*setup(ex.listener_set(listeners=[tcp])))
    assert conditions(entry(result, "tcp"))["Accepted"] == ("False", "ProtocolConflict")
    assert entry(result, "tcp")["supportedKinds"] == []


def test_unsupported_protocol_without_conflict_stays_unsupported() -> None:
    tcp = ex.listener("tcp", port=9000, protocol="TCP")
    result = run(*setup(ex.listener_set(listeners=[tcp])))
    assert conditions(entry(result, "tcp"))["Accepted"] == ("False", "UnsupportedProtocol")


def test_conflict_inside_one_listener_set_has_no_winner() -> None:
    twins = [ex.listener(n, hostname="twin.example.com") for n in ("one", "two")]
    result = run(*setup(ex.listener_set(listeners=twins)))
    for name in ("one", "two"):
        assert conditions(entry(result, name))["Conflicted"] == ("True", "HostnameConflict")


def test_listener_names_only_need_to_be_unique_per_resource() -> None:
    same_name = [ex.listener("http", hostname="ls.example.com")]
    result = run(*setup(ex.listener_set(listeners=same_name)))
    assert conditions(entry(result, "http"))["Accepted"] == ("True", "Accepted")
    names = [item["name"] for item in result.routing_tables[GW]["listeners"]]
    assert names == ["http", "infra/ls/http"]


# ------------------------------------------------------------------ certificates


def https_listener(name: str, hostname: str) -> Obj:
    ref = {"name": "cert", "namespace": "certs"}
    return ex.listener(name, 443, "HTTPS", hostname, tls={"certificateRefs": [ref]})


def grant(kind: str) -> Obj:
    return ex.reference_grant(
        "certs",
        [{"group": GATEWAY_GROUP, "kind": kind, "namespace": "infra"}],
        [{"group": "", "kind": "Secret"}],
        name=f"for-{kind.lower()}",
    )


def test_gateway_grant_does_not_cover_a_listener_set() -> None:
    secret = ex.tls_secret("cert", "certs", CERT, KEY)
    listeners = [https_listener("https", "gw.example.com")]
    ls = ex.listener_set(listeners=[https_listener("https", "ls.example.com")])
    result = run(*setup(ls, secret, grant("Gateway"), listeners=listeners))
    assert conditions(result.gateway_statuses[GW]["listeners"][0])["ResolvedRefs"] == (
        "True",
        "ResolvedRefs",
    )
    assert conditions(entry(result, "https"))["ResolvedRefs"] == ("False", "RefNotPermitted")
    assert conditions(result.listener_set_statuses[LS]) == {
        "Accepted": ("False", "ListenersNotValid"),
        "Programmed": ("False", "ListenersNotValid"),
    }

    granted = run(*setup(ls, secret, grant("Gateway"), grant("ListenerSet"), listeners=listeners))
    assert conditions(entry(granted, "https"))["ResolvedRefs"] == ("True", "ResolvedRefs")
    assert conditions(granted.listener_set_statuses[LS])["Programmed"] == ("True", "Programmed")
    tls_hosts = [item["hostname"] for item in granted.routing_tables[GW]["listeners"]]
    assert tls_hosts == ["gw.example.com", "ls.example.com"]


# ------------------------------------------------------------------ routes


def test_route_on_a_listener_set_reaches_only_its_listeners() -> None:
    route = ex.http_route(parents=[ls_ref(namespace="infra")])
    result = run(*setup(ex.listener_set(), route))
    (only,) = our_parents(result)
    assert only["parentRef"] == {
        "group": GATEWAY_GROUP,
        "kind": "ListenerSet",
        "namespace": "infra",
        "name": "ls",
    }
    assert conditions(only)["Accepted"] == ("True", "Accepted")
    assert entry(result, "ls-http")["attachedRoutes"] == 1
    assert result.gateway_statuses[GW]["listeners"][0]["attachedRoutes"] == 0
    routes = {item["name"]: item["routes"] for item in result.routing_tables[GW]["listeners"]}
    assert routes["http"] == []
    assert [r["name"] for r in routes["infra/ls/ls-http"]] == ["route"]


def test_gateway_parent_ref_never_reaches_listener_set_listeners() -> None:
    route = ex.http_route(parents=[{"name": "gw", "sectionName": "ls-http"}])
    result = run(*setup(ex.listener_set(), route))
    (only,) = our_parents(result)
    assert conditions(only)["Accepted"] == ("False", "NoMatchingParent")
    assert entry(result, "ls-http")["attachedRoutes"] == 0


def test_each_parent_ref_is_judged_on_its_own() -> None:
    route = ex.http_route(
        parents=[{"name": "gw", "sectionName": "ls-http"}, ls_ref(sectionName="ls-http")]
    )
    parents = our_parents_all(run(*setup(ex.listener_set(), route)))
    assert conditions(parents["Gateway"])["Accepted"] == ("False", "NoMatchingParent")
    assert conditions(parents["ListenerSet"])["Accepted"] == ("True", "Accepted")


def our_parents_all(result: ComputeResult) -> dict[str, Obj]:
    return {p["parentRef"]["kind"]: p for p in our_parents(result)}


def test_same_namespace_means_the_listener_set_namespace() -> None:
    listener = ex.listener("same", hostname="s.example.com", allowedRoutes=SAME)
    objects = setup(
        ex.listener_set("ls", "apps", [listener]),
        ex.namespace("apps"),
        ex.http_route("route", "apps", parents=[ls_ref(namespace="apps")]),
        ex.http_route("route", "infra", parents=[ls_ref(namespace="apps")]),
        allowed=ALL,
    )
    result = run(*objects)
    apps = result.http_route_statuses[("apps", "route")]["parents"][0]
    infra = result.http_route_statuses[("infra", "route")]["parents"][0]
    assert conditions(apps)["Accepted"] == ("True", "Accepted")
    assert conditions(infra)["Accepted"] == ("False", "NotAllowedByListeners")
    assert entry(result, "same", ("apps", "ls"))["attachedRoutes"] == 1


def test_route_to_a_rejected_listener_set_is_not_accepted() -> None:
    route = ex.http_route(parents=[ls_ref()])
    result = run(*setup(ex.listener_set(), route, allowed=None))
    (only,) = our_parents(result)
    assert conditions(only)["Accepted"] == ("False", "NoMatchingParent")
    assert entry(result, "ls-http")["attachedRoutes"] == 0


# ------------------------------------------------------------------ proxy objects


def test_listener_set_ports_open_on_the_proxy() -> None:
    extra = ex.listener("alt", port=8081, hostname="alt.example.com")
    result = run(*setup(ex.listener_set(listeners=[extra])))
    proxy = result.proxies[GW]
    assert proxy.service is not None
    assert [p["port"] for p in proxy.service["spec"]["ports"]] == [80, 8081]


def test_rejected_listener_set_opens_no_port() -> None:
    extra = ex.listener("alt", port=8081, hostname="alt.example.com")
    result = run(*setup(ex.listener_set(listeners=[extra]), allowed=None))
    proxy = result.proxies[GW]
    assert proxy.service is not None
    assert [p["port"] for p in proxy.service["spec"]["ports"]] == [80]
