"""Evaluation of a Gateway's listeners: kinds, certificates, conflicts, and their conditions."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from reference_impl.controller.certificates import resolve_certificate_ref
from reference_impl.controller.conditions import Condition, condition
from reference_impl.controller.constants import ADMIN_PORT, GATEWAY_GROUP
from reference_impl.controller.features import (
    DataPlaneSupport,
    listener_protocols,
    route_kinds_for,
)
from reference_impl.controller.gateway_tls import apply_frontend_validation
from reference_impl.controller.hostnames import intersect
from reference_impl.controller.model import Obj, Snapshot, key_of

LISTENER_CONDITION_TYPES = (
    "Accepted",
    "Programmed",
    "ResolvedRefs",
    "Conflicted",
    "OverlappingTLSConfig",
)


@dataclasses.dataclass
class ListenerEval:
    """What the controller concluded about one listener."""

    spec: Mapping[str, Any]
    supported_kinds: list[dict[str, str]]
    accepted_reason: str = "Accepted"
    accepted_message: str = "Listener is valid"
    refs_reason: str = "ResolvedRefs"
    refs_message: str = "All references are resolved"
    conflict_reason: str | None = None
    conflict_message: str = ""
    overlapping_with: list[str] = dataclasses.field(default_factory=list)
    """HTTPS listeners on the same port whose hostnames overlap this one's."""
    certificates: list[dict[str, str]] = dataclasses.field(default_factory=list)
    client_validation: dict[str, str] | None = None
    """HTTPS: the port's frontend client-certificate validation (`mode`, `caPem`), if any."""
    owner: str | None = None
    """`namespace/name` of the ListenerSet holding this listener; None for a Gateway's own."""

    @property
    def name(self) -> str:
        return str(self.spec.get("name") or "")

    @property
    def key(self) -> str:
        """Unique among a Gateway's merged listeners: names are unique only per resource."""
        return self.name if self.owner is None else f"{self.owner}/{self.name}"

    @property
    def port(self) -> int:
        return int(self.spec.get("port") or 0)

    @property
    def protocol(self) -> str:
        return str(self.spec.get("protocol") or "")

    @property
    def hostname(self) -> str | None:
        value = self.spec.get("hostname")
        return str(value) if value else None

    @property
    def tls_mode(self) -> str | None:
        """`tls.mode` of HTTPS (always Terminate) and TLS listeners (default Terminate)."""
        if self.protocol not in ("HTTPS", "TLS"):
            return None
        return str((self.spec.get("tls") or {}).get("mode") or "Terminate")

    @property
    def accepted(self) -> bool:
        return self.accepted_reason == "Accepted" and self.conflict_reason is None

    @property
    def refs_resolved(self) -> bool:
        return self.refs_reason == "ResolvedRefs"

    @property
    def programmed(self) -> bool:
        """Whether the proxy gets it: accepted, certificates usable, a route kind left."""
        certs_ok = self.tls_mode != "Terminate" or (
            bool(self.certificates)
            and (
                self.refs_reason in ("ResolvedRefs", "InvalidRouteKinds")
                # A client-validation CA failed but another is usable: served with that one.
                or self.client_validation is not None
            )
        )
        return self.accepted and certs_ok and bool(self.supported_kinds)

    def conditions(self, generation: int) -> list[Condition]:
        """Accepted, Programmed, ResolvedRefs and Conflicted for the listener status."""
        if self.conflict_reason is not None:
            reason, msg = self.conflict_reason, self.conflict_message
            accepted = condition("Accepted", False, reason, msg, generation)
            programmed = condition("Programmed", False, reason, msg, generation)
            conflicted = condition("Conflicted", True, reason, msg, generation)
        else:
            accepted = condition(
                "Accepted", self.accepted, self.accepted_reason, self.accepted_message, generation
            )
            if self.programmed:
                programmed = condition(
                    "Programmed", True, "Programmed", "Listener is programmed", generation
                )
            else:
                programmed = condition(
                    "Programmed", False, "Invalid", self._not_programmed_message(), generation
                )
            conflicted = condition("Conflicted", False, "NoConflicts", "No conflicts", generation)
        resolved = condition(
            "ResolvedRefs", self.refs_resolved, self.refs_reason, self.refs_message, generation
        )
        result = [accepted, programmed, resolved, conflicted]
        if self.overlapping_with and self.conflict_reason is None:
            result.append(
                condition(
                    "OverlappingTLSConfig",
                    True,
                    "OverlappingHostnames",
                    f"Hostname overlaps that of listener(s) {', '.join(self.overlapping_with)} "
                    "on the same port",
                    generation,
                )
            )
        return result

    def _not_programmed_message(self) -> str:
        if not self.accepted:
            return f"Listener is not accepted: {self.accepted_message}"
        if not self.supported_kinds:
            return "Listener allows no supported route kind"
        return f"Listener has unusable TLS configuration: {self.refs_message}"


def evaluate_listeners(snapshot: Snapshot, gateway: Obj) -> list[ListenerEval]:
    """Evaluate every listener of the Gateway, in spec order."""
    namespace, _ = key_of(gateway)
    listeners = [
        _evaluate_one(snapshot, namespace, spec)
        for spec in (gateway.get("spec") or {}).get("listeners") or ()
    ]
    mark_conflicts(listeners, snapshot.data_plane)
    apply_frontend_validation(snapshot, gateway, listeners)
    return listeners


def evaluate_listener(
    snapshot: Snapshot, namespace: str, spec: Mapping[str, Any], from_kind: str
) -> ListenerEval:
    """One listener of a `from_kind` resource (Gateway or ListenerSet) in `namespace`."""
    return _evaluate_one(snapshot, namespace, spec, from_kind)


def _evaluate_one(
    snapshot: Snapshot, namespace: str, spec: Mapping[str, Any], from_kind: str = "Gateway"
) -> ListenerEval:
    protocol = str(spec.get("protocol") or "")
    protocols = listener_protocols(snapshot.data_plane)
    if protocol not in protocols:
        return ListenerEval(
            spec=spec,
            supported_kinds=[],
            accepted_reason="UnsupportedProtocol",
            accepted_message=f"Protocol {protocol!r} is not supported "
            f"(supported: {', '.join(sorted(protocols))})",
        )
    result = ListenerEval(spec=spec, supported_kinds=[])
    _evaluate_kinds(result, protocol, snapshot.data_plane)
    if int(spec.get("port") or 0) == ADMIN_PORT:
        result.accepted_reason = "PortUnavailable"
        result.accepted_message = f"Port {ADMIN_PORT} is the proxy's admin port"
    if protocol == "HTTPS":
        _evaluate_tls(snapshot, namespace, result, from_kind)
    if protocol == "TLS":
        _evaluate_tls_listener(snapshot, namespace, result, from_kind)
    return result


def _evaluate_tls_listener(
    snapshot: Snapshot, namespace: str, result: ListenerEval, from_kind: str
) -> None:
    """TLS listeners: a mode the proxy serves; Terminate needs certificates as HTTPS does."""
    mode = result.tls_mode or "Terminate"
    if mode not in snapshot.data_plane.tls_listener_modes:
        # TLSRouteListenerTerminateNotSupported expects exactly this, and no route kind.
        result.accepted_reason = "UnsupportedValue"
        result.accepted_message = f"TLS mode {mode!r} is not supported on TLS listeners"
        result.supported_kinds = []
        return
    if mode == "Terminate":
        _evaluate_tls(snapshot, namespace, result, from_kind)


def _evaluate_kinds(result: ListenerEval, protocol: str, support: DataPlaneSupport) -> None:
    compatible = route_kinds_for(protocol, support)
    requested = (result.spec.get("allowedRoutes") or {}).get("kinds") or []
    if not requested:
        result.supported_kinds = [{"group": GATEWAY_GROUP, "kind": k} for k in compatible]
        return
    invalid: list[str] = []
    for entry in requested:
        group = entry.get("group")
        group = GATEWAY_GROUP if group is None else group
        kind = entry.get("kind") or ""
        item = {"group": group, "kind": kind}
        if group == GATEWAY_GROUP and kind in compatible:
            if item not in result.supported_kinds:
                result.supported_kinds.append(item)
        else:
            invalid.append(f"{group}/{kind}")
    if invalid:
        result.refs_reason = "InvalidRouteKinds"
        result.refs_message = (
            f"Route kinds not supported on a {protocol} listener: {', '.join(invalid)}"
        )


def _evaluate_tls(snapshot: Snapshot, namespace: str, result: ListenerEval, from_kind: str) -> None:
    tls = result.spec.get("tls") or {}
    mode = tls.get("mode") or "Terminate"
    if mode != "Terminate":
        result.accepted_reason = "UnsupportedValue"
        result.accepted_message = f"TLS mode {mode!r} is not supported on HTTPS listeners"
        return
    refs = tls.get("certificateRefs") or []
    if not refs:
        if result.refs_resolved:
            result.refs_reason = "InvalidCertificateRef"
            result.refs_message = (
                f"{result.protocol} listener with mode Terminate has no tls.certificateRefs"
            )
        return
    failures: list[str] = []
    first_reason: str | None = None
    for ref in refs:
        outcome = resolve_certificate_ref(snapshot, namespace, ref, from_kind)
        if outcome.reason is None:
            assert outcome.cert_pem is not None and outcome.key_pem is not None
            result.certificates.append({"certPem": outcome.cert_pem, "keyPem": outcome.key_pem})
        else:
            first_reason = first_reason or outcome.reason
            failures.append(outcome.message)
    if first_reason is not None:
        result.certificates.clear()
        if result.refs_resolved:
            result.refs_reason = first_reason
            result.refs_message = "; ".join(failures)


def mark_conflicts(listeners: list[ListenerEval], support: DataPlaneSupport) -> None:
    """Conflicts among the supported listeners of one resource: no winner, every indistinct
    listener loses."""
    by_port: dict[int, list[ListenerEval]] = defaultdict(list)
    for item in listeners:
        if item.accepted_reason != "UnsupportedProtocol":
            by_port[item.port].append(item)
    for port, group in by_port.items():
        # TLS Passthrough and Terminate on one port conflict unless TLSRouteModeMixed is served.
        protocols = sorted({protocol_label(item, support) for item in group})
        if len(protocols) > 1:
            for item in group:
                item.conflict_reason = "ProtocolConflict"
                item.conflict_message = (
                    f"Port {port} is used with several protocols: {', '.join(protocols)}"
                )
                # A listener that cannot be served supports no route kind (upstream's
                # TLSRouteListenerMixedTerminationNotSupported expects an empty list).
                item.supported_kinds = []
            continue
        _mark_overlaps([item for item in group if item.protocol == "HTTPS"])
        by_host: dict[str, list[ListenerEval]] = defaultdict(list)
        for item in group:
            by_host[(item.hostname or "").lower()].append(item)
        for host, same in by_host.items():
            if len(same) > 1:
                for item in same:
                    item.conflict_reason = "HostnameConflict"
                    item.conflict_message = (
                        f"Listeners {', '.join(i.name for i in same)} all use port {port} "
                        f"with hostname {host or '(any)'}"
                    )


def protocol_label(item: ListenerEval, support: DataPlaneSupport) -> str:
    """The protocol as conflicts see it: TLS modes differ unless the data plane mixes them."""
    if item.protocol != "TLS" or support.tls_mixed_modes:
        return item.protocol
    return f"TLS/{item.tls_mode}"


def _mark_overlaps(https: list[ListenerEval]) -> None:
    """GEP-3567: HTTPS listeners on one port whose hostnames overlap (one covers the other)."""
    for item in https:
        for other in https:
            if other is item or (item.hostname or "") == (other.hostname or ""):
                continue
            if item.hostname is None or intersect(other.hostname, item.hostname) is not None:
                item.overlapping_with.append(other.name)
