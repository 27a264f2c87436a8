"""GatewayClass status: Accepted and supportedFeatures for the classes this controller owns."""

from __future__ import annotations

import dataclasses
from typing import Any

from reference_impl.controller.conditions import condition, merge_conditions
from reference_impl.controller.features import supported_features_status
from reference_impl.controller.model import Obj, Snapshot, generation_of

GATEWAY_CLASS_CONDITION_TYPES = ("Accepted",)


@dataclasses.dataclass(frozen=True)
class GatewayClassResult:
    """The desired status of one owned GatewayClass and whether Gateways of it are served."""

    name: str
    accepted: bool
    status: dict[str, Any]


def is_owned_class(snapshot: Snapshot, gateway_class: Obj) -> bool:
    """Whether this controller is responsible for the class (controllerName and name filter)."""
    name = (gateway_class.get("metadata") or {}).get("name")
    if (gateway_class.get("spec") or {}).get("controllerName") != snapshot.controller_name:
        return False
    return snapshot.gateway_class_names is None or name in snapshot.gateway_class_names


def evaluate_gateway_class(snapshot: Snapshot, gateway_class: Obj) -> GatewayClassResult:
    """Accepted=True unless the class carries parametersRef (this implementation takes none)."""
    name = str((gateway_class.get("metadata") or {}).get("name"))
    generation = generation_of(gateway_class)
    params = (gateway_class.get("spec") or {}).get("parametersRef")
    if params:
        accepted = condition(
            "Accepted",
            False,
            "InvalidParameters",
            f"parametersRef {params.get('group', '')}/{params.get('kind', '')} "
            f"{params.get('name', '')} is not supported: this implementation takes no parameters",
            generation,
        )
    else:
        accepted = condition(
            "Accepted", True, "Accepted", "Handled by the reference controller", generation
        )
    old = gateway_class.get("status") or {}
    status = dict(old)
    status["conditions"] = merge_conditions(
        old.get("conditions"), [accepted], GATEWAY_CLASS_CONDITION_TYPES, snapshot.now
    )
    status["supportedFeatures"] = [
        item
        for item in supported_features_status(snapshot.data_plane)
        if item["name"] not in snapshot.unserved_features
    ]
    return GatewayClassResult(name, accepted["status"] == "True", status)
