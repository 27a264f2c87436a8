"""Unit tests of the controller's small pure pieces: conditions, hostnames, grants, selectors."""

from __future__ import annotations

import pytest

from reference_impl.controller.conditions import condition, merge_conditions
from reference_impl.controller.examples import reference_grant
from reference_impl.controller.hostnames import intersect, route_hostnames_for_listener
from reference_impl.controller.model import Snapshot, snapshot_of
from reference_impl.controller.references import is_permitted
from reference_impl.controller.selectors import selector_matches

T0, T1 = "2026-11-26T03:00:00Z", "2026-11-26T03:05:00Z"


def test_merge_keeps_transition_time_when_status_is_unchanged() -> None:
    first = merge_conditions(
        [], [condition("Accepted", True, "Accepted", "ok", 1)], ["Accepted"], T0
    )
    second = merge_conditions(
        first, [condition("Accepted", True, "Accepted", "still ok", 2)], ["Accepted"], T1
    )
    assert second[0]["lastTransitionTime"] == T0
    assert second[0]["observedGeneration"] == 2
    assert second[0]["message"] == "still ok"


def test_merge_sets_transition_time_when_status_changes() -> None:
    first = merge_conditions([], [condition("Accepted", True, "Accepted", "", 1)], ["Accepted"], T0)
    second = merge_conditions(
        first, [condition("Accepted", False, "Invalid", "", 1)], ["Accepted"], T1
    )
    assert second[0]["lastTransitionTime"] == T1
    assert second[0]["status"] == "False"


def test_merge_keeps_foreign_conditions_and_drops_stale_managed_ones() -> None:
    existing = [
        {"type": "example.com/Custom", "status": "True", "reason": "X", "message": ""},
        {"type": "PartiallyInvalid", "status": "True", "reason": "UnsupportedValue"},
    ]
    merged = merge_conditions(
        existing,
        [condition("Accepted", True, "Accepted", "", 3)],
        ["Accepted", "PartiallyInvalid"],
        T0,
    )
    assert [c["type"] for c in merged] == ["example.com/Custom", "Accepted"]
    assert merged[0] is existing[0]


@pytest.mark.parametrize(
    ("listener", "route", "expected"),
    [
        ("www.example.com", "www.example.com", "www.example.com"),
        ("www.example.com", "*.example.com", "www.example.com"),
        ("sub.domain.example.com", "*.example.com", "sub.domain.example.com"),
        ("*.example.com", "www.example.com", "www.example.com"),
        ("*.example.com", "foo.bar.example.com", "foo.bar.example.com"),
        ("*.example.com", "example.com", None),
        ("*.example.com", "test.example.net", None),
        ("*.example.com", "*.example.com", "*.example.com"),
        ("*.com", "*.example.com", "*.example.com"),
        ("*.example.com", "*.com", "*.example.com"),
        (None, "foo.com", "foo.com"),
        ("very.specific.com", "non.matching.com", None),
        ("*.wildcard.io", "wildcard.io", None),
    ],
)
def test_hostname_intersection(listener: str | None, route: str, expected: str | None) -> None:
    assert intersect(listener, route) == expected


def test_route_hostnames_for_listener() -> None:
    assert route_hostnames_for_listener("a.com", []) == []
    assert route_hostnames_for_listener("a.com", ["b.com"]) is None
    assert route_hostnames_for_listener("*.a.com", ["x.a.com", "b.com", "y.a.com"]) == [
        "x.a.com",
        "y.a.com",
    ]


def _grant_snapshot(**to: str) -> Snapshot:
    return snapshot_of(
        [
            reference_grant(
                "backends",
                [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "apps"}],
                [{"group": "", "kind": "Service", **to}],
            )
        ],
        T0,
    )


def _service_ref_allowed(snapshot: Snapshot, name: str, from_namespace: str = "apps") -> bool:
    return is_permitted(
        snapshot,
        from_group="gateway.networking.k8s.io",
        from_kind="HTTPRoute",
        from_namespace=from_namespace,
        to_group="",
        to_kind="Service",
        to_namespace="backends",
        to_name=name,
    )


def test_reference_grant_for_all_names_and_for_one_name() -> None:
    every = _grant_snapshot()
    assert _service_ref_allowed(every, "web")
    assert not _service_ref_allowed(every, "web", from_namespace="other")
    one = _grant_snapshot(name="web")
    assert _service_ref_allowed(one, "web")
    assert not _service_ref_allowed(one, "db")


def test_same_namespace_needs_no_grant() -> None:
    assert is_permitted(
        snapshot_of([], T0),
        from_group="gateway.networking.k8s.io",
        from_kind="HTTPRoute",
        from_namespace="x",
        to_group="",
        to_kind="Service",
        to_namespace="x",
        to_name="svc",
    )


def test_label_selector() -> None:
    labels = {"team": "a", "env": "prod"}
    assert selector_matches({"matchLabels": {"team": "a"}}, labels)
    assert not selector_matches({"matchLabels": {"team": "b"}}, labels)
    assert selector_matches(
        {"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]}]}, labels
    )
    assert not selector_matches(
        {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}, labels
    )
    assert selector_matches(
        {"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}, labels
    )
    assert not selector_matches(None, labels)
