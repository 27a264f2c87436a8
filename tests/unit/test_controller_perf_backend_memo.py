"""resolve_backend is memoised per snapshot, and only per snapshot."""

from __future__ import annotations

from reference_impl.controller import examples as ex
from reference_impl.controller.backends import resolve_backend
from reference_impl.controller.model import snapshot_of


def test_same_ref_in_one_snapshot_is_resolved_once() -> None:
    snapshot = snapshot_of([ex.service(), ex.endpoint_slice()], ex.NOW)
    first = resolve_backend(snapshot, "HTTPRoute", "infra", ex.backend_ref("backend"))
    again = resolve_backend(snapshot, "HTTPRoute", "infra", ex.backend_ref("backend"))
    assert first.valid and first.endpoints == (("198.18.0.10", 3000),)
    assert again is first


def test_a_new_snapshot_sees_changed_services_and_endpoints() -> None:
    before = snapshot_of([ex.service(), ex.endpoint_slice()], ex.NOW)
    assert resolve_backend(before, "HTTPRoute", "infra", ex.backend_ref("backend")).valid
    moved = ex.endpoint_slice(addresses=[("198.18.0.11", True)])
    after = snapshot_of([ex.service(), moved], ex.NOW)
    resolved = resolve_backend(after, "HTTPRoute", "infra", ex.backend_ref("backend"))
    assert resolved.endpoints == (("198.18.0.11", 3000),)
    gone = snapshot_of([], ex.NOW)
    missing = resolve_backend(gone, "HTTPRoute", "infra", ex.backend_ref("backend"))
    assert missing.reason == "BackendNotFound"


def test_inputs_that_compare_equal_but_differ_in_type_are_kept_apart() -> None:
    snapshot = snapshot_of([ex.service(), ex.endpoint_slice()], ex.NOW)
    as_int = resolve_backend(snapshot, "HTTPRoute", "infra", ex.backend_ref("backend", 8080))
    as_float = resolve_backend(snapshot, "HTTPRoute", "infra", ex.backend_ref("backend", 8080.0))
    assert as_int.name == "infra/backend:8080"
    assert as_float.name == "infra/backend:8080.0"


def test_route_kind_and_namespace_are_part_of_the_key() -> None:
    snapshot = snapshot_of([ex.service(), ex.endpoint_slice()], ex.NOW)
    same = resolve_backend(snapshot, "HTTPRoute", "infra", ex.backend_ref("backend"))
    other = resolve_backend(snapshot, "HTTPRoute", "apps", ex.backend_ref("backend"))
    assert same.valid
    assert other.name == "apps/backend:8080" and other.reason == "BackendNotFound"
