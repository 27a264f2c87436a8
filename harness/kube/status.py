"""Gateway API status expectations that read like the spec (semantics of upstream's helpers)."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

Obj = dict[str, Any]
GATEWAY_GROUP = "gateway.networking.k8s.io"


@dataclasses.dataclass(frozen=True)
class Condition:
    """An expected condition; an empty status or reason matches any."""

    type: str
    status: str = ""
    reason: str = ""

    def __str__(self) -> str:
        text = self.type + (f"={self.status}" if self.status else "")
        return text + (f"/{self.reason}" if self.reason else "")

    def found_in(self, conditions: Iterable[Obj]) -> bool:
        return any(
            c.get("type") == self.type
            and (not self.status or c.get("status") == self.status)
            and (not self.reason or c.get("reason") == self.reason)
            for c in conditions
        )


def _conds(items: Iterable[Condition | tuple[str, ...] | str]) -> tuple[Condition, ...]:
    out: list[Condition] = []
    for item in items:
        if isinstance(item, Condition):
            out.append(item)
        elif isinstance(item, str):
            out.append(Condition(item))
        else:
            out.append(Condition(*item))
    return tuple(out)


def _show(conditions: Iterable[Obj]) -> str:
    return (
        ", ".join(
            f"{c.get('type')}={c.get('status')}/{c.get('reason')}@{c.get('observedGeneration')}"
            for c in conditions
        )
        or "none"
    )


def stale_conditions(obj: Obj, conditions: Iterable[Obj]) -> str | None:
    """Why conditions are not for the latest generation, or None when they all are."""
    generation = obj.get("metadata", {}).get("generation")
    stale = [c.get("type") for c in conditions if c.get("observedGeneration") != generation]
    if stale:
        return f"conditions {stale} have an observedGeneration other than generation {generation}"
    return None


def missing_conditions(expected: Sequence[Condition], actual: Sequence[Obj]) -> str | None:
    """Subset match as upstream: every expected condition present (extra ones allowed)."""
    missing = [str(c) for c in expected if not c.found_in(actual)]
    if missing:
        return f"missing {', '.join(missing)}; have {_show(actual)}"
    return None


class StatusExpectation:
    text = ""

    def describe(self) -> str:
        return self.text

    def mismatch(self, obj: Obj | None) -> str | None:
        if obj is None:
            return "the object does not exist"
        return self.check(obj)

    def check(self, obj: Obj) -> str | None:  # pragma: no cover - overridden
        raise NotImplementedError


class HasConditions(StatusExpectation):
    """Object conditions (GatewayClass, Gateway, ListenerSet), all at the latest generation."""

    def __init__(self, *conditions: Condition | tuple[str, ...] | str, latest: bool = True) -> None:
        self.conditions = _conds(conditions)
        self.latest = latest
        self.text = (
            "conditions "
            + ", ".join(map(str, self.conditions))
            + (" with observedGeneration == metadata.generation" if latest else "")
        )

    def check(self, obj: Obj) -> str | None:
        actual = obj.get("status", {}).get("conditions") or []
        if self.latest and (stale := stale_conditions(obj, actual)):
            return stale
        return missing_conditions(self.conditions, actual)


def gatewayclass_accepted(status: str = "True") -> HasConditions:
    """GWCMustHaveAcceptedConditionTrue (or ``status=""`` for …Any)."""
    return HasConditions(Condition("Accepted", status))


def gateway_has_condition(type: str, status: str = "", reason: str = "") -> HasConditions:
    """GatewayMustHaveCondition, only once conditions carry the latest observedGeneration."""
    return HasConditions(Condition(type, status, reason))


def gateway_has_latest_conditions() -> HasConditions:
    """GatewayMustHaveLatestConditions (an empty condition list passes, as upstream)."""
    return HasConditions()


class LatestConditions(StatusExpectation):
    """``status.conditions`` present and every one at ``metadata.generation``.

    Stricter than upstream's vacuous check: an object nobody reconciled has no
    conditions, so an empty list means "not yet".
    """

    text = "status.conditions non-empty, every observedGeneration == metadata.generation"

    def check(self, obj: Obj) -> str | None:
        conditions = obj.get("status", {}).get("conditions") or []
        if not conditions:
            return "status.conditions is empty"
        return stale_conditions(obj, conditions)


def has_latest_conditions() -> LatestConditions:
    return LatestConditions()


@dataclasses.dataclass(frozen=True)
class ExpectedListener:
    """Upstream's listener expectation for GatewayStatusMustHaveListeners."""

    name: str
    attached_routes: int
    supported_kinds: tuple[str | tuple[str, str], ...] = ()
    conditions: tuple[Condition, ...] = ()


class ListenersHaveConditions(StatusExpectation):
    """GatewayListenersMustHaveConditions: the named (or all) listeners have every condition.

    ``latest`` adds the object's own conditions at the latest generation, as
    ListenerSetListenersMustHaveConditions requires.
    """

    def __init__(
        self,
        *conditions: Condition | tuple[str, ...] | str,
        names: Sequence[str] = (),
        latest: bool = False,
    ) -> None:
        self.conditions = _conds(conditions)
        self.names = tuple(names)
        self.latest = latest
        which = ", ".join(self.names) if self.names else "every listener"
        self.text = f"{which}: " + ", ".join(map(str, self.conditions))

    def check(self, obj: Obj) -> str | None:
        if self.latest and (
            stale := stale_conditions(obj, obj.get("status", {}).get("conditions") or [])
        ):
            return stale
        listeners = {
            item.get("name"): item for item in obj.get("status", {}).get("listeners") or []
        }
        if not listeners:
            return "status.listeners is empty"
        for name in self.names or tuple(listeners):
            if name not in listeners:
                return f"no listener {name!r} in status (have {sorted(listeners)})"
            why = missing_conditions(self.conditions, listeners[name].get("conditions") or [])
            if why:
                return f"listener {name}: {why}"
        return None


def listeners_have_conditions(
    *conditions: Condition | tuple[str, ...] | str, names: Sequence[str] = (), latest: bool = False
) -> ListenersHaveConditions:
    return ListenersHaveConditions(*conditions, names=names, latest=latest)


class StatusHasListeners(StatusExpectation):
    """GatewayStatusMustHaveListeners: exact count and attachedRoutes, subset kinds/conditions."""

    def __init__(self, listeners: Sequence[ExpectedListener]) -> None:
        self.listeners = tuple(listeners)
        self.text = "listeners " + "; ".join(
            f"{item.name}(attachedRoutes={item.attached_routes}, "
            f"kinds={list(item.supported_kinds)}, "
            f"conditions={[str(c) for c in item.conditions]})"
            for item in self.listeners
        )

    def check(self, obj: Obj) -> str | None:
        status = obj.get("status", {})
        if stale := stale_conditions(obj, status.get("conditions") or []):
            return stale
        actual = status.get("listeners") or []
        if len(actual) != len(self.listeners):
            return f"{len(actual)} listeners in status, expected {len(self.listeners)}"
        by_name = {item.get("name"): item for item in actual}
        for want in self.listeners:
            have = by_name.get(want.name)
            if have is None:
                return f"no listener {want.name!r} in status (have {sorted(by_name)})"
            kinds = have.get("supportedKinds") or []
            if not want.supported_kinds and kinds:
                return f"listener {want.name}: supportedKinds {kinds}, expected none"
            for kind in want.supported_kinds:
                group, name = (GATEWAY_GROUP, kind) if isinstance(kind, str) else kind
                if not any(
                    k.get("kind") == name and (k.get("group") or GATEWAY_GROUP) == group
                    for k in kinds
                ):
                    return f"listener {want.name}: supportedKinds {kinds} lack {group}/{name}"
            if have.get("attachedRoutes") != want.attached_routes:
                return (
                    f"listener {want.name}: attachedRoutes {have.get('attachedRoutes')}, "
                    f"expected {want.attached_routes}"
                )
            why = missing_conditions(want.conditions, have.get("conditions") or [])
            if why:
                return f"listener {want.name}: {why}"
        return None


def status_has_listeners(listeners: Sequence[ExpectedListener]) -> StatusHasListeners:
    return StatusHasListeners(listeners)


class AttachedRoutes(StatusExpectation):
    """A listener's status.attachedRoutes equals ``count`` (exact, as upstream)."""

    def __init__(self, listener: str, count: int) -> None:
        self.listener, self.count = listener, count
        self.text = f"listener {listener} attachedRoutes == {count}"

    def check(self, obj: Obj) -> str | None:
        for item in obj.get("status", {}).get("listeners") or []:
            if item.get("name") == self.listener:
                if item.get("attachedRoutes") == self.count:
                    return None
                return f"attachedRoutes is {item.get('attachedRoutes')}"
        return f"no listener {self.listener!r} in status"


def listener_attached_routes(listener: str, count: int) -> AttachedRoutes:
    return AttachedRoutes(listener, count)


class ZeroRoutes(StatusExpectation):
    """GatewayMustHaveZeroRoutes: no listener status, or exactly one with attachedRoutes 0."""

    text = "no routes attached (no listener status, or one listener with attachedRoutes 0)"

    def check(self, obj: Obj) -> str | None:
        listeners = obj.get("status", {}).get("listeners") or []
        if not listeners or (len(listeners) == 1 and listeners[0].get("attachedRoutes") == 0):
            return None
        return "listeners: " + ", ".join(
            f"{item.get('name')}={item.get('attachedRoutes')}" for item in listeners
        )


def gateway_has_zero_routes() -> ZeroRoutes:
    return ZeroRoutes()


class AttachedListenerSets(StatusExpectation):
    """GatewayMustHaveAttachedListeners: latest conditions; attachedListenerSets (unset = 0)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.text = f"status.attachedListenerSets == {count}, conditions at latest generation"

    def check(self, obj: Obj) -> str | None:
        status = obj.get("status", {})
        if stale := stale_conditions(obj, status.get("conditions") or []):
            return stale
        have = status.get("attachedListenerSets") or 0
        if have != self.count:
            return f"attachedListenerSets is {have}"
        return None


def gateway_has_attached_listener_sets(count: int) -> AttachedListenerSets:
    return AttachedListenerSets(count)


@dataclasses.dataclass(frozen=True)
class ExpectedParent:
    """One expected ``status.parents[]`` entry (upstream's RouteParentStatus expectation)."""

    name: str
    namespace: str | None = None
    controller_name: str = ""
    group: str | None = GATEWAY_GROUP
    kind: str | None = "Gateway"
    conditions: tuple[Condition, ...] = (Condition("Accepted", "True", "Accepted"),)


def _parent_problem(route: Obj, want: ExpectedParent, have: Obj) -> str | None:
    ref = have.get("parentRef") or {}
    if have.get("controllerName") != want.controller_name:
        return f"controllerName {have.get('controllerName')!r} != {want.controller_name!r}"
    # Upstream compares group/kind pointers as written, so unset != default.
    if ref.get("group") != want.group:
        return f"parentRef.group {ref.get('group')!r} != {want.group!r}"
    if ref.get("kind") != want.kind:
        return f"parentRef.kind {ref.get('kind')!r} != {want.kind!r}"
    if ref.get("name") != want.name:
        return f"parentRef.name {ref.get('name')!r} != {want.name!r}"
    if ref.get("namespace") != want.namespace:
        route_ns = route.get("metadata", {}).get("namespace")
        # Tolerated only when the route lives where the parent does and status omits it.
        if not (ref.get("namespace") is None and want.namespace == route_ns):
            return f"parentRef.namespace {ref.get('namespace')!r} != {want.namespace!r}"
    return missing_conditions(want.conditions, have.get("conditions") or [])


class RouteHasParents(StatusExpectation):
    """RouteMustHaveParents: each expected parent matched; sectionName/port not compared."""

    def __init__(self, parents: Sequence[ExpectedParent]) -> None:
        self.parents = tuple(parents)
        self.text = "status.parents include " + "; ".join(
            f"{p.kind} {p.namespace or '<route ns>'}/{p.name} by {p.controller_name} with "
            + ", ".join(map(str, p.conditions))
            for p in self.parents
        )

    def check(self, obj: Obj) -> str | None:
        actual = obj.get("status", {}).get("parents") or []
        for have in actual:
            if stale := stale_conditions(obj, have.get("conditions") or []):
                return f"parent {have.get('parentRef', {}).get('name')}: {stale}"
        for want in self.parents:
            problems = [_parent_problem(obj, want, have) for have in actual]
            if not any(p is None for p in problems):
                detail = "; ".join(p for p in problems if p) or "status.parents is empty"
                return f"no parent entry matches {want.name}: {detail}"
        return None


def route_has_parents(parents: Sequence[ExpectedParent]) -> RouteHasParents:
    return RouteHasParents(parents)


class RouteHasCondition(StatusExpectation):
    """HTTPRouteMustHaveCondition: parent conditions latest; the Gateway's parent has it."""

    def __init__(self, gateway: str, gateway_namespace: str, condition: Condition) -> None:
        self.gateway, self.gateway_namespace, self.condition = gateway, gateway_namespace, condition
        self.text = f"parent {gateway_namespace}/{gateway} has condition {condition}"

    def check(self, obj: Obj) -> str | None:
        parents = obj.get("status", {}).get("parents") or []
        if not parents:
            return "status.parents is empty"
        seen = []
        for parent in parents:
            conds = parent.get("conditions") or []
            if stale := stale_conditions(obj, conds):
                return stale
            ref = parent.get("parentRef") or {}
            if ref.get("name") != self.gateway:
                continue
            if ref.get("namespace") not in (None, self.gateway_namespace):
                continue
            if self.condition.found_in(conds):
                return None
            seen.append(_show(conds))
        return f"parent conditions: {'; '.join(seen) or 'no entry for this Gateway'}"


def route_has_condition(
    gateway: str, gateway_namespace: str, type: str, status: str = "", reason: str = ""
) -> RouteHasCondition:
    return RouteHasCondition(gateway, gateway_namespace, Condition(type, status, reason))


class NoAcceptedParents(StatusExpectation):
    """HTTPRouteMustHaveNoAcceptedParents: no parents, or one with latest Accepted=False.

    Use with ``wait_for(..., stable_for=1)``: upstream must see an empty list on two polls.
    """

    text = "status.parents empty, or exactly one parent whose latest Accepted is False"

    def check(self, obj: Obj) -> str | None:
        parents = obj.get("status", {}).get("parents") or []
        if not parents:
            return None
        if len(parents) > 1:
            return f"{len(parents)} parents in status"
        conds = parents[0].get("conditions") or []
        if stale := stale_conditions(obj, conds):
            return stale
        return missing_conditions([Condition("Accepted", "False")], conds)


def route_has_no_accepted_parents() -> NoAcceptedParents:
    return NoAcceptedParents()


def gateway_address(gateway: Obj, listener: str | None = None) -> str | None:
    """``host:port`` the way upstream dials a Gateway, or None while it has no address.

    host = the first ``status.addresses`` entry that has a type; port = the named
    listener's port, else the first listener's. IPv6 hosts are bracketed.
    """
    addresses = [a for a in gateway.get("status", {}).get("addresses") or [] if a.get("type")]
    if not addresses:
        return None
    listeners = gateway.get("spec", {}).get("listeners") or []
    chosen = (
        next((item for item in listeners if item.get("name") == listener), None)
        if listener
        else None
    )
    if listener and chosen is None:
        names = [item.get("name") for item in listeners]
        raise LookupError(f"Gateway has no listener {listener!r} (have {names})")
    chosen = chosen or (listeners[0] if listeners else None)
    if chosen is None:
        raise LookupError("Gateway has no listeners, so no port to dial")
    return join_host_port(str(addresses[0]["value"]), int(chosen["port"]))


def join_host_port(host: str, port: int) -> str:
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]:{port}"
    except ValueError:
        pass
    return f"{host}:{port}"


class HasAddress(StatusExpectation):
    """WaitForGatewayAddress: latest conditions and a typed status address."""

    def __init__(self, listener: str | None = None) -> None:
        self.listener = listener
        self.text = "status.addresses has an entry with a type, conditions at latest generation"

    def check(self, obj: Obj) -> str | None:
        if stale := stale_conditions(obj, obj.get("status", {}).get("conditions") or []):
            return stale
        if gateway_address(obj, self.listener) is None:
            return "no status.addresses entry with a type"
        return None


def gateway_has_address(listener: str | None = None) -> HasAddress:
    return HasAddress(listener)
