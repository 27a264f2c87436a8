"""The controller's test-aid faults (``--fault``): each breaks exactly its one thing."""

from __future__ import annotations

from typing import Any

import pytest

from reference_impl.controller import examples as ex
from reference_impl.controller.__main__ import parse_args
from reference_impl.controller.compute import ComputeResult, compute
from reference_impl.controller.faults import FAULTS, WRONG_REASON, fault_named, inject
from reference_impl.controller.model import snapshot_of
from reference_impl.controller.runner import released_gateways

T0 = "2026-11-26T04:00:00Z"
GW = ("infra", "gw")


def computed() -> ComputeResult:
    """A Gateway at generation 3; one route with an Exact match, one to a missing Service."""
    exact = ex.http_route(
        "exact",
        rules=[
            {
                "matches": [{"path": {"type": "Exact", "value": "/one"}}],
                "backendRefs": [ex.backend_ref("backend")],
            }
        ],
    )
    missing = ex.http_route("missing", rules=[{"backendRefs": [ex.backend_ref("nowhere")]}])
    objects = [
        ex.gateway_class(),
        ex.gateway(generation=3),
        ex.service(),
        exact,
        missing,
    ]
    return compute(snapshot_of(objects, T0), "proxy:test")


def conditions_of(status: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(status.get("conditions") or [])
    for listener in status.get("listeners") or []:
        out += listener.get("conditions") or []
    return out


def resolved_refs_reason(result: ComputeResult, name: str) -> str:
    status = result.http_route_statuses[("infra", name)]
    condition = next(c for c in status["parents"][0]["conditions"] if c["type"] == "ResolvedRefs")
    return str(condition["reason"])


def exact_paths(result: ComputeResult) -> list[str]:
    table = result.routing_tables[GW]
    return [
        str(m["path"]["type"])
        for listener in table["listeners"]
        for route in listener["routes"]
        for rule in route["rules"]
        for m in rule["matches"]
        if m["path"]["value"] == "/one"
    ]


def test_without_a_fault_the_state_is_unchanged() -> None:
    result = computed()
    assert inject(result, None) is result


def test_stale_observed_generation() -> None:
    clean = computed()
    broken = inject(clean, fault_named("stale-observed-generation"))
    assert {c["observedGeneration"] for c in conditions_of(clean.gateway_statuses[GW])} == {3}
    assert {c["observedGeneration"] for c in conditions_of(broken.gateway_statuses[GW])} == {2}
    # Only that: routes and tables are as computed, and the original is not modified.
    assert broken.http_route_statuses == clean.http_route_statuses
    assert broken.routing_tables == clean.routing_tables


def test_wrong_reason() -> None:
    clean = computed()
    broken = inject(clean, fault_named("wrong-reason"))
    assert resolved_refs_reason(clean, "missing") == "BackendNotFound"
    assert resolved_refs_reason(broken, "missing") == WRONG_REASON
    assert resolved_refs_reason(broken, "exact") == "ResolvedRefs"
    assert broken.gateway_statuses == clean.gateway_statuses


def test_missing_attached_routes() -> None:
    clean = computed()
    broken = inject(clean, fault_named("missing-attached-routes"))
    assert clean.gateway_statuses[GW]["listeners"][0]["attachedRoutes"] == 2
    assert broken.gateway_statuses[GW]["listeners"][0]["attachedRoutes"] == 0
    assert conditions_of(broken.gateway_statuses[GW]) == conditions_of(clean.gateway_statuses[GW])


def test_wrong_precedence() -> None:
    clean = computed()
    broken = inject(clean, fault_named("wrong-precedence"))
    assert exact_paths(clean) == ["Exact"]
    assert exact_paths(broken) == ["PathPrefix"]
    assert broken.gateway_statuses == clean.gateway_statuses


def test_ignores_allowed_listeners() -> None:
    objects = [ex.gateway_class(), ex.gateway(), ex.listener_set()]
    clean = compute(snapshot_of(objects, T0), "proxy:test")
    broken = inject(clean, fault_named("ignores-allowed-listeners"))

    def summary(result: ComputeResult) -> dict[str, tuple[str, str]]:
        status = result.listener_set_statuses[("infra", "ls")]
        return {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}

    assert summary(clean) == {
        "Accepted": ("False", "NotAllowed"),
        "Programmed": ("False", "NotAllowed"),
    }
    assert summary(broken) == {
        "Accepted": ("True", "Accepted"),
        "Programmed": ("True", "Programmed"),
    }
    assert broken.gateway_statuses == clean.gateway_statuses


def test_fault_option_defaults_to_none_and_knows_every_fault() -> None:
    assert parse_args([]).fault is None
    assert parse_args(["--fault", "wrong-reason"]).fault == "wrong-reason"
    assert sorted(FAULTS) == [
        "ignores-allowed-listeners",
        "missing-attached-routes",
        "stale-observed-generation",
        "wrong-precedence",
        "wrong-reason",
    ]
    with pytest.raises(SystemExit):
        parse_args(["--fault", "everything"])
    with pytest.raises(ValueError, match="unknown fault 'x'"):
        fault_named("x")


def test_a_faulty_instance_and_the_reference_leave_each_others_proxies_alone() -> None:
    snapshot = snapshot_of(
        [
            ex.gateway_class("reference"),
            ex.gateway_class("faulty", controller="gateway-harness.dev/faulty-wrong-reason"),
            ex.gateway("served", class_name="reference"),
            ex.gateway("theirs", class_name="faulty"),
            ex.gateway("orphan", class_name="deleted-class"),
        ],
        T0,
    )
    released = released_gateways(snapshot, compute(snapshot, "proxy:test"))
    assert released == {("infra", "orphan")}
