"""Gateway status: Accepted, Programmed, addresses and one entry per listener."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reference_impl.controller.conditions import Condition, condition, merge_conditions
from reference_impl.controller.features import SUPPORTED_ADDRESS_TYPES
from reference_impl.controller.gateway_tls import gateway_tls_conditions
from reference_impl.controller.gateway_view import GatewayView
from reference_impl.controller.listeners import LISTENER_CONDITION_TYPES
from reference_impl.controller.model import Obj, Snapshot, generation_of
from reference_impl.controller.provisioning import requested_ips

GATEWAY_CONDITION_TYPES = (
    "Accepted",
    "Programmed",
    "ResolvedRefs",
    "InsecureFrontendValidationMode",
)


def gateway_accepted(view: GatewayView, generation: int) -> Condition:
    """Accepted: address types, parametersRef, then listener validity."""
    spec = view.gateway.get("spec") or {}
    bad_types = sorted(
        {
            str(a.get("type") or "IPAddress")
            for a in spec.get("addresses") or ()
            if (a.get("type") or "IPAddress") not in SUPPORTED_ADDRESS_TYPES
        }
    )
    if bad_types:
        return condition(
            "Accepted",
            False,
            "UnsupportedAddress",
            f"Address type(s) {', '.join(bad_types)} not supported (supported: IPAddress)",
            generation,
        )
    params = (spec.get("infrastructure") or {}).get("parametersRef")
    if params:
        return condition(
            "Accepted",
            False,
            "InvalidParameters",
            f"infrastructure.parametersRef {params.get('kind', '')} {params.get('name', '')} "
            "is not supported: this implementation takes no parameters",
            generation,
        )
    invalid = [item.name for item in view.listeners if not item.accepted]
    valid = [item.name for item in view.listeners if item.accepted]
    if not valid:
        return condition("Accepted", False, "ListenersNotValid", "No listener is valid", generation)
    if invalid:
        return condition(
            "Accepted",
            True,
            "ListenersNotValid",
            f"Listeners not valid: {', '.join(invalid)}; accepted: {', '.join(valid)}",
            generation,
        )
    return condition("Accepted", True, "Accepted", "Gateway is accepted", generation)


def status_addresses(service: Obj | None) -> list[dict[str, str]]:
    """status.addresses from the proxy Service's load-balancer ingress."""
    result: list[dict[str, str]] = []
    for ingress in ((service or {}).get("status") or {}).get("loadBalancer", {}).get(
        "ingress"
    ) or ():
        if ingress.get("ip"):
            result.append({"type": "IPAddress", "value": str(ingress["ip"])})
        elif ingress.get("hostname"):
            result.append({"type": "Hostname", "value": str(ingress["hostname"])})
    return result


def gateway_programmed(
    view: GatewayView,
    accepted: Condition,
    addresses: list[dict[str, str]],
    ready_proxies: int,
    generation: int,
) -> Condition:
    """Programmed: accepted, addresses bound (requested ones usable), a proxy serving."""
    if accepted["status"] != "True":
        return condition("Programmed", False, "Invalid", "Gateway is not accepted", generation)
    requested = requested_ips(view.gateway)
    bound = {a["value"] for a in addresses}
    if requested and bound:
        unusable = [ip for ip in requested if ip not in bound]
        if unusable:
            return condition(
                "Programmed",
                False,
                "AddressNotUsable",
                f"Requested address(es) {', '.join(unusable)} could not be bound "
                f"(bound: {', '.join(sorted(bound))})",
                generation,
            )
    if not addresses:
        return condition(
            "Programmed",
            False,
            "AddressNotAssigned",
            "The proxy's LoadBalancer Service has no address yet",
            generation,
        )
    if ready_proxies == 0:
        return condition(
            "Programmed", False, "Pending", "Waiting for a ready proxy Pod", generation
        )
    return condition("Programmed", True, "Programmed", "Gateway is programmed", generation)


def gateway_status(
    snapshot: Snapshot,
    view: GatewayView,
    attached_routes: Mapping[str, int],
    service: Obj | None,
    ready_proxies: int,
) -> dict[str, Any]:
    """The Gateway's new status, merged with what is there."""
    gateway = view.gateway
    generation = generation_of(gateway)
    old: Mapping[str, Any] = gateway.get("status") or {}
    accepted = gateway_accepted(view, generation)
    addresses = status_addresses(service) if accepted["status"] == "True" else []
    programmed = gateway_programmed(view, accepted, addresses, ready_proxies, generation)
    old_listeners = {entry.get("name"): entry for entry in old.get("listeners") or ()}
    listeners = []
    for item in view.listeners:
        previous = old_listeners.get(item.name) or {}
        listeners.append(
            {
                "name": item.name,
                "supportedKinds": item.supported_kinds,
                "attachedRoutes": attached_routes.get(item.name, 0),
                "conditions": merge_conditions(
                    previous.get("conditions"),
                    item.conditions(generation),
                    LISTENER_CONDITION_TYPES,
                    snapshot.now,
                ),
            }
        )
    status = dict(old)
    tls_conditions = gateway_tls_conditions(snapshot, gateway, view.listeners, generation)
    status["conditions"] = merge_conditions(
        old.get("conditions"),
        [accepted, programmed, *tls_conditions],
        GATEWAY_CONDITION_TYPES,
        snapshot.now,
    )
    status["listeners"] = listeners
    if addresses:
        status["addresses"] = addresses
    else:
        status.pop("addresses", None)
    return status
