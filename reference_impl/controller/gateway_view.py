"""The Gateways this controller serves, each with its evaluated listeners."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from reference_impl.controller.listeners import ListenerEval, evaluate_listeners
from reference_impl.controller.model import Key, Obj, Snapshot


@dataclasses.dataclass(frozen=True)
class GatewayView:
    """One owned Gateway and the evaluation of its listeners."""

    key: Key
    gateway: Obj
    listeners: list[ListenerEval]
    """The Gateway's own listeners (its status, its parentRefs)."""
    attached_listeners: list[ListenerEval] = dataclasses.field(default_factory=list)
    """Listeners of the ListenerSets it accepted, in precedence order after its own."""

    def listener(self, name: str) -> ListenerEval | None:
        return next((item for item in self.listeners if item.name == name), None)

    @property
    def merged_listeners(self) -> list[ListenerEval]:
        """Everything the proxy serves for this Gateway: own listeners, then ListenerSets'."""
        return self.listeners + self.attached_listeners


def owned_gateways(snapshot: Snapshot, accepted_classes: set[str]) -> dict[Key, GatewayView]:
    """Gateways whose class is owned by this controller and Accepted."""
    result: dict[Key, GatewayView] = {}
    for key, gateway in sorted(snapshot.gateways.items()):
        if (gateway.get("spec") or {}).get("gatewayClassName") in accepted_classes:
            result[key] = GatewayView(key, gateway, evaluate_listeners(snapshot, gateway))
    return result


def namespace_labels(snapshot: Snapshot, namespace: str) -> Mapping[str, str]:
    """Labels of a Namespace object (empty when it is not known)."""
    return ((snapshot.namespaces.get(namespace) or {}).get("metadata") or {}).get("labels") or {}
