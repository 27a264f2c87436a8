"""Status expectations follow the semantics of upstream's status helpers."""

from __future__ import annotations

from typing import Any

import pytest

from harness.kube import status as st

Obj = dict[str, Any]


def cond(type_: str, status: str, reason: str, gen: int = 2) -> Obj:
    return {"type": type_, "status": status, "reason": reason, "observedGeneration": gen}


def gateway(gen: int = 2, **status: Any) -> Obj:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": "infra", "generation": gen},
        "spec": {
            "listeners": [{"name": "http", "port": 80}, {"name": "https", "port": 443}],
        },
        "status": status,
    }


def test_condition_subset_and_wildcards() -> None:
    conds = [cond("Accepted", "True", "Accepted"), cond("Programmed", "True", "Programmed")]
    assert st.HasConditions(("Accepted", "True")).check(gateway(conditions=conds)) is None
    assert st.HasConditions("Programmed").check(gateway(conditions=conds)) is None
    why = st.gateway_has_condition("Accepted", "False").check(gateway(conditions=conds))
    assert why is not None and "Accepted=False" in why


def test_stale_observed_generation_is_a_mismatch() -> None:
    obj = gateway(gen=3, conditions=[cond("Accepted", "True", "Accepted", gen=2)])
    why = st.gateway_has_condition("Accepted", "True").mismatch(obj)
    assert why is not None and "generation 3" in why
    assert st.HasConditions("Accepted", latest=False).mismatch(obj) is None
    assert st.gateway_has_condition("Accepted").mismatch(None) == "the object does not exist"


def test_listeners_have_conditions_by_name() -> None:
    listeners = [
        {"name": "http", "conditions": [cond("Accepted", "True", "Accepted")]},
        {"name": "https", "conditions": [cond("Accepted", "False", "Invalid")]},
    ]
    obj = gateway(listeners=listeners)
    assert st.listeners_have_conditions(("Accepted", "True"), names=["http"]).check(obj) is None
    why = st.listeners_have_conditions(("Accepted", "True")).check(obj)
    assert why is not None and why.startswith("listener https")


def test_status_has_listeners_exact_count_and_routes() -> None:
    listeners = [
        {
            "name": "http",
            "attachedRoutes": 1,
            "supportedKinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
            "conditions": [cond("Accepted", "True", "Accepted")],
        }
    ]
    obj = gateway(conditions=[cond("Accepted", "True", "Accepted")], listeners=listeners)
    ok = st.ExpectedListener("http", 1, ("HTTPRoute",), (st.Condition("Accepted", "True"),))
    assert st.status_has_listeners([ok]).check(obj) is None
    assert "attachedRoutes 1" in str(
        st.status_has_listeners([st.ExpectedListener("http", 2, ("HTTPRoute",))]).check(obj)
    )
    assert "expected none" in str(
        st.status_has_listeners([st.ExpectedListener("http", 1)]).check(obj)
    )
    assert "2" in str(st.status_has_listeners([ok, ok]).check(obj))


def test_zero_routes() -> None:
    assert st.gateway_has_zero_routes().check(gateway()) is None
    assert st.gateway_has_zero_routes().check(gateway(listeners=[{"attachedRoutes": 0}])) is None
    two = gateway(
        listeners=[{"name": "a", "attachedRoutes": 0}, {"name": "b", "attachedRoutes": 0}]
    )
    assert st.gateway_has_zero_routes().check(two) is not None


def route(parents: list[Obj], ns: str = "infra", gen: int = 1) -> Obj:
    return {
        "kind": "HTTPRoute",
        "metadata": {"name": "r", "namespace": ns, "generation": gen},
        "status": {"parents": parents},
    }


def parent(name: str = "gw", ns: str | None = "infra", **extra: Any) -> Obj:
    ref = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": name}
    if ns is not None:
        ref["namespace"] = ns
    ref.update(extra)
    return {
        "parentRef": ref,
        "controllerName": "example.com/ctl",
        "conditions": [cond("Accepted", "True", "Accepted", gen=1)],
    }


EXPECTED = st.ExpectedParent("gw", "infra", "example.com/ctl")


def test_route_parents_match_ignoring_section_name_and_port() -> None:
    obj = route([parent(sectionName="http", port=80)])
    assert st.route_has_parents([EXPECTED]).check(obj) is None


def test_route_parents_namespace_nil_tolerated_only_in_same_namespace() -> None:
    assert st.route_has_parents([EXPECTED]).check(route([parent(ns=None)])) is None
    other_ns = route([parent(ns=None)], ns="web")
    assert "namespace" in str(st.route_has_parents([EXPECTED]).check(other_ns))


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"controllerName": "other/ctl"}, "controllerName"),
        ({"parentRef": {"kind": "Gateway", "name": "gw", "namespace": "infra"}}, "group"),
        ({"conditions": [cond("Accepted", "False", "NotAllowedByListeners", gen=1)]}, "missing"),
    ],
)
def test_route_parents_mismatch(change: Obj, needle: str) -> None:
    entry = {**parent(), **change}
    why = st.route_has_parents([EXPECTED]).check(route([entry]))
    assert why is not None and needle in why


def test_route_parents_extra_parent_allowed_stale_not() -> None:
    assert st.route_has_parents([EXPECTED]).check(route([parent("other"), parent()])) is None
    assert "generation" in str(st.route_has_parents([EXPECTED]).check(route([parent()], gen=2)))


def test_route_has_condition_on_named_gateway() -> None:
    obj = route([parent("other"), parent()])
    assert st.route_has_condition("gw", "infra", "Accepted", "True", "Accepted").check(obj) is None
    assert st.route_has_condition("gw", "infra", "ResolvedRefs").check(obj) is not None


def test_no_accepted_parents() -> None:
    assert st.route_has_no_accepted_parents().check(route([])) is None
    rejected = parent()
    rejected["conditions"] = [cond("Accepted", "False", "NotAllowedByListeners", gen=1)]
    assert st.route_has_no_accepted_parents().check(route([rejected])) is None
    assert st.route_has_no_accepted_parents().check(route([parent()])) is not None
    assert st.route_has_no_accepted_parents().check(route([rejected, rejected])) is not None


def test_gateway_address_first_typed_entry_and_listener_port() -> None:
    obj = gateway(
        addresses=[{"value": "ignored"}, {"type": "IPAddress", "value": "198.19.16.5"}],
        conditions=[cond("Programmed", "True", "Programmed")],
    )
    assert st.gateway_address(obj) == "198.19.16.5:80"
    assert st.gateway_address(obj, "https") == "198.19.16.5:443"
    v6 = gateway(addresses=[{"type": "IPAddress", "value": "fd00::5"}])
    assert st.gateway_address(v6) == "[fd00::5]:80"
    assert st.gateway_address(gateway()) is None
    with pytest.raises(LookupError, match="nope"):
        st.gateway_address(obj, "nope")
    assert st.gateway_has_address().check(obj) is None


def test_latest_conditions_needs_some() -> None:
    assert st.has_latest_conditions().check(gateway()) == "status.conditions is empty"
    assert st.gateway_has_latest_conditions().check(gateway()) is None
    fresh = gateway(conditions=[cond("Accepted", "True", "Accepted")])
    assert st.has_latest_conditions().check(fresh) is None
    stale = gateway(gen=5, conditions=[cond("Accepted", "True", "Accepted")])
    assert "generation 5" in str(st.has_latest_conditions().check(stale))
