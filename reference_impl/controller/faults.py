"""Deliberate bugs for testing the conformance suite (``--fault NAME``); never on by default.

A test aid only: the suite must FAIL an implementation that has one of these bugs,
so ``tests/integration/test_conformance_catches_faults.py`` runs a second controller
with ``--fault NAME`` and its own controller name and GatewayClass. Each fault
rewrites the desired state that ``compute()`` returned, just before the controller
writes status and pushes tables; everything else stays correct, so each injects
exactly one bug.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from reference_impl.controller.compute import ComputeResult

Fault = Callable[[ComputeResult], ComputeResult]


def _conditions(status: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from status.get("conditions") or ()
    for listener in status.get("listeners") or ():
        yield from listener.get("conditions") or ()


def stale_observed_generation(result: ComputeResult) -> ComputeResult:
    """Gateway and listener conditions report the generation before the current one."""
    for status in result.gateway_statuses.values():
        for condition in _conditions(status):
            generation = int(condition.get("observedGeneration") or 0)
            condition["observedGeneration"] = max(generation - 1, 0)
    return result


# What a route's ResolvedRefs=False/BackendNotFound is misreported as.
WRONG_REASON = "RefNotPermitted"


def wrong_reason(result: ComputeResult) -> ComputeResult:
    """A route's ResolvedRefs reason BackendNotFound is reported as ``WRONG_REASON``."""
    for statuses in (result.http_route_statuses, result.grpc_route_statuses):
        for status in statuses.values():
            for parent in status.get("parents") or ():
                for condition in parent.get("conditions") or ():
                    if (
                        condition.get("type") == "ResolvedRefs"
                        and condition.get("reason") == "BackendNotFound"
                    ):
                        condition["reason"] = WRONG_REASON
    return result


def missing_attached_routes(result: ComputeResult) -> ComputeResult:
    """Every listener reports ``attachedRoutes: 0``."""
    for status in result.gateway_statuses.values():
        for listener in status.get("listeners") or ():
            listener["attachedRoutes"] = 0
    return result


def wrong_precedence(result: ComputeResult) -> ComputeResult:
    """Exact path matches become PathPrefix in the routing tables, so the proxy routes wrongly.

    ``/one`` Exact then also takes ``/one/example``, and Exact no longer wins over a
    prefix of the same length; statuses stay correct, only traffic shows the bug.
    """
    for table in result.routing_tables.values():
        for listener in table.get("listeners") or ():
            for route in listener.get("routes") or ():
                for rule in route.get("rules") or ():
                    for match in rule.get("matches") or ():
                        path = match.get("path")
                        if isinstance(path, dict) and path.get("type") == "Exact":
                            match["path"] = {**path, "type": "PathPrefix"}
    return result


def ignores_allowed_listeners(result: ComputeResult) -> ComputeResult:
    """Every ListenerSet is reported Accepted and Programmed, whatever `allowedListeners` says."""
    for status in result.listener_set_statuses.values():
        for condition in status.get("conditions") or ():
            if condition.get("type") in ("Accepted", "Programmed"):
                condition.update(status="True", reason=condition["type"], message="")
    return result


FAULTS: dict[str, Fault] = {
    "stale-observed-generation": stale_observed_generation,
    "wrong-reason": wrong_reason,
    "missing-attached-routes": missing_attached_routes,
    "wrong-precedence": wrong_precedence,
    "ignores-allowed-listeners": ignores_allowed_listeners,
}


def fault_named(name: str) -> Fault:
    """The fault called ``name``; ValueError naming the known ones otherwise."""
    try:
        return FAULTS[name]
    except KeyError:
        raise ValueError(f"unknown fault {name!r}; known: {', '.join(sorted(FAULTS))}") from None


def inject(result: ComputeResult, fault: Fault | None) -> ComputeResult:
    """``result`` with ``fault`` applied to a copy (the computed state is left untouched)."""
    if fault is None:
        return result
    return fault(_deep_copy(result))


def _deep_copy(result: ComputeResult) -> ComputeResult:
    import copy

    return dataclasses.replace(
        result,
        gateway_statuses=copy.deepcopy(result.gateway_statuses),
        http_route_statuses=copy.deepcopy(result.http_route_statuses),
        grpc_route_statuses=copy.deepcopy(result.grpc_route_statuses),
        routing_tables=copy.deepcopy(result.routing_tables),
        listener_set_statuses=copy.deepcopy(result.listener_set_statuses),
    )
