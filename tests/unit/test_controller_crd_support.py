"""Only features the installed CRDs can express are advertised."""

from __future__ import annotations

from typing import Any

from reference_impl.controller import examples as ex
from reference_impl.controller.compute import compute
from reference_impl.controller.crd_support import has_field, spec_schema, unserved_features
from reference_impl.controller.model import snapshot_of


def _obj(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


def _crd(spec: dict[str, Any], storage: str = "v1") -> dict[str, Any]:
    versions = [
        {"name": name, "storage": name == storage,
         "schema": {"openAPIV3Schema": _obj(spec=spec if name == storage else _obj())}}
        for name in ("v1beta1", "v1")
    ]  # fmt: skip
    return {"spec": {"versions": versions}}


RULE = _obj(name={"type": "string"}, filters={"type": "array", "items": _obj(cors=_obj())})
EXPERIMENTAL_ROUTES = _crd(
    _obj(rules={"type": "array", "items": _obj(retry=_obj(), **RULE["properties"])})
)
STANDARD_ROUTES = _crd(_obj(rules={"type": "array", "items": _obj(name={"type": "string"})}))


def test_field_paths_step_through_lists_and_use_the_storage_version() -> None:
    schema = spec_schema(EXPERIMENTAL_ROUTES)
    assert schema is not None
    assert has_field(schema, ("rules", "retry"))
    assert has_field(schema, ("rules", "filters", "cors"))
    assert not has_field(schema, ("rules", "timeouts"))
    assert not has_field(spec_schema(_crd(_obj(), storage="v1beta1")) or {}, ("rules",))


def test_standard_channel_routes_leave_out_retries_and_cors() -> None:
    features = {
        "HTTPRouteRetry",
        "HTTPRouteCORS",
        "HTTPRouteNamedRouteRule",
        "GRPCRoute",
        "Gateway",
    }
    missing = unserved_features({"httproutes": STANDARD_ROUTES}, features)
    assert missing == {"HTTPRouteRetry", "HTTPRouteCORS", "GRPCRoute"}
    missing = unserved_features(
        {"httproutes": EXPERIMENTAL_ROUTES, "grpcroutes": _crd(_obj())}, features
    )
    assert missing == set()


def test_gateway_class_does_not_advertise_unserved_features() -> None:
    objects = [ex.gateway_class()]
    full = compute(snapshot_of(objects, ex.NOW), "proxy:test")
    narrowed = compute(
        snapshot_of(objects, ex.NOW, unserved_features=frozenset({"HTTPRouteRetry"})),
        "proxy:test",
    )
    names = [f["name"] for f in full.gateway_class_statuses["reference"]["supportedFeatures"]]
    kept = [f["name"] for f in narrowed.gateway_class_statuses["reference"]["supportedFeatures"]]
    assert "HTTPRouteRetry" in names
    assert kept == [n for n in names if n != "HTTPRouteRetry"]
