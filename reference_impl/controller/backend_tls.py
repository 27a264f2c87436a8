"""BackendTLSPolicy: targets, CA references, conflicts, and the TLS each backend is dialled with."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

from cryptography import x509

from reference_impl.controller.features import WELL_KNOWN_CA_CERTIFICATES
from reference_impl.controller.model import Key, Obj, Snapshot, key_of

TargetKey = tuple[str, str, str | None]
"""(namespace, Service name, sectionName or None for the whole Service)."""


@dataclasses.dataclass(frozen=True)
class PolicyEval:
    """What the controller concluded about one BackendTLSPolicy."""

    key: Key
    accepted_reason: str
    accepted_message: str
    refs_reason: str
    refs_message: str
    targets: tuple[TargetKey, ...]
    """Targets that exist and that this policy wins (it applies to these)."""
    tls: dict[str, Any] | None
    """Backend.tls for the targets it wins; None when it cannot be used (5xx, no plaintext)."""

    @property
    def accepted(self) -> bool:
        return self.accepted_reason == "Accepted"


@dataclasses.dataclass(frozen=True)
class BackendTLSIndex:
    """Every evaluated policy and, per target, the policy that takes precedence there."""

    policies: dict[Key, PolicyEval]
    winners: dict[TargetKey, Key]

    def for_backend(self, service: Key, port_name: str | None) -> PolicyEval | None:
        """The policy that governs a Service port: sectionName-specific first, then whole."""
        targets: list[TargetKey] = [(service[0], service[1], port_name)] if port_name else []
        targets.append((service[0], service[1], None))
        for target in targets:
            winner = self.winners.get(target)
            if winner is not None:
                return self.policies[winner]
        return None


@dataclasses.dataclass(frozen=True)
class _CaOutcome:
    pem: str | None
    reason: str | None
    message: str


def evaluate_backend_tls_policies(snapshot: Snapshot) -> BackendTLSIndex:
    """Evaluate every BackendTLSPolicy: targets, precedence per target, then CA validity."""
    candidates: dict[TargetKey, list[tuple[str, str, Key]]] = {}
    valid_targets: dict[Key, list[TargetKey]] = {}
    for key, policy in snapshot.backend_tls_policies.items():
        found = _existing_targets(snapshot, policy)
        valid_targets[key] = found
        meta = policy.get("metadata") or {}
        order = (str(meta.get("creationTimestamp") or ""), f"{key[0]}/{key[1]}", key)
        for target in found:
            candidates.setdefault(target, []).append(order)
    winners = {target: min(entries)[2] for target, entries in candidates.items()}
    policies: dict[Key, PolicyEval] = {}
    for key, policy in snapshot.backend_tls_policies.items():
        policies[key] = _evaluate_one(snapshot, key, policy, valid_targets[key], winners)
    return BackendTLSIndex(policies, winners)


def _existing_targets(snapshot: Snapshot, policy: Obj) -> list[TargetKey]:
    namespace, _ = key_of(policy)
    found: list[TargetKey] = []
    for ref in (policy.get("spec") or {}).get("targetRefs") or ():
        if (ref.get("group") or "") != "" or ref.get("kind") != "Service":
            continue
        service = snapshot.services.get((namespace, str(ref.get("name") or "")))
        if service is None:
            continue
        section = ref.get("sectionName")
        if section is not None:
            names = {p.get("name") for p in (service.get("spec") or {}).get("ports") or ()}
            if section not in names:
                continue
        target = (namespace, str(ref.get("name")), str(section) if section is not None else None)
        if target not in found:
            found.append(target)
    return found


def _evaluate_one(
    snapshot: Snapshot,
    key: Key,
    policy: Obj,
    targets: list[TargetKey],
    winners: Mapping[TargetKey, Key],
) -> PolicyEval:
    validation = (policy.get("spec") or {}).get("validation") or {}
    refs_reason, refs_message, ca_pems = _resolve_ca_refs(snapshot, key[0], validation)
    won = tuple(t for t in targets if winners.get(t) == key)
    lost = [t for t in targets if winners.get(t) != key]

    well_known = validation.get("wellKnownCACertificates")
    refs = validation.get("caCertificateRefs") or []
    problem: tuple[str, str] | None = None
    if well_known is not None and well_known not in WELL_KNOWN_CA_CERTIFICATES:
        problem = ("Invalid", f"wellKnownCACertificates {well_known!r} is not supported")
    elif well_known is None and not ca_pems:
        problem = (
            "NoValidCACertificate",
            "No caCertificateRefs entry is valid" if refs else "No CA certificate is given",
        )
    elif not snapshot.data_plane.backend_tls:
        problem = ("Invalid", "The proxy cannot originate TLS to backends yet")
    # Usable on the targets it wins even when it loses another one (Conflicted there).
    tls = None
    if problem is None:
        tls = {
            "caPem": "".join(ca_pems) if ca_pems else None,
            "wellKnownCACertificates": well_known,
            "hostname": str(validation.get("hostname") or ""),
            "subjectAltNames": [_san(s) for s in validation.get("subjectAltNames") or ()],
        }

    def result(reason: str, message: str) -> PolicyEval:
        return PolicyEval(key, reason, message, refs_reason, refs_message, won, tls)

    if not targets:
        return result("TargetNotFound", "No targetRef names an existing Service (and port)")
    if lost:
        others = sorted({"/".join(winners[t]) for t in lost})
        return result(
            "Conflicted",
            f"BackendTLSPolicy {', '.join(others)} takes precedence on the same target",
        )
    if problem is not None:
        return result(*problem)
    return result("Accepted", "Policy is accepted")


def _resolve_ca_refs(
    snapshot: Snapshot, namespace: str, validation: Mapping[str, Any]
) -> tuple[str, str, list[str]]:
    """ResolvedRefs reason and message, and the PEM of every valid CA reference."""
    pems: list[str] = []
    failures: list[tuple[str, str]] = []
    for ref in validation.get("caCertificateRefs") or ():
        outcome = _resolve_ca_ref(snapshot, namespace, ref)
        if outcome.reason is None and outcome.pem is not None:
            pems.append(outcome.pem if outcome.pem.endswith("\n") else outcome.pem + "\n")
        else:
            failures.append((outcome.reason or "InvalidCACertificateRef", outcome.message))
    if not failures:
        return "ResolvedRefs", "All references are resolved", pems
    return failures[0][0], "; ".join(message for _, message in failures), pems


def _resolve_ca_ref(snapshot: Snapshot, namespace: str, ref: Mapping[str, Any]) -> _CaOutcome:
    group, kind, name = ref.get("group") or "", ref.get("kind") or "", str(ref.get("name") or "")
    where = f"{kind} {namespace}/{name}"
    if group != "" or kind not in ("ConfigMap", "Secret"):
        return _CaOutcome(
            None,
            "InvalidKind",
            f"caCertificateRef kind {group or 'core'}/{kind} is not supported "
            "(use a ConfigMap or Secret with key ca.crt)",
        )
    if kind == "ConfigMap":
        config_map = snapshot.config_maps.get((namespace, name))
        if config_map is None:
            return _CaOutcome(None, "InvalidCACertificateRef", f"{where} does not exist")
        pem = str((config_map.get("data") or {}).get("ca.crt") or "")
    else:
        secret = snapshot.secrets.get((namespace, name))
        if secret is None:
            return _CaOutcome(None, "InvalidCACertificateRef", f"{where} does not exist")
        try:
            raw = (secret.get("data") or {}).get("ca.crt") or ""
            pem = base64.b64decode(raw, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return _CaOutcome(None, "InvalidCACertificateRef", f"{where}: ca.crt is not base64")
    if not pem.strip():
        return _CaOutcome(None, "InvalidCACertificateRef", f"{where} has no ca.crt")
    if not holds_pem_certificates(pem):
        return _CaOutcome(
            None, "InvalidCACertificateRef", f"{where}: ca.crt holds no PEM certificate"
        )
    return _CaOutcome(pem, None, "")


@functools.lru_cache(maxsize=256)
def holds_pem_certificates(pem: str) -> bool:
    """Whether the text parses as one or more PEM certificates (cached: pure)."""
    try:
        x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        return False
    return True


def _san(entry: Mapping[str, Any]) -> dict[str, str]:
    if entry.get("type") == "URI":
        return {"type": "URI", "uri": str(entry.get("uri") or "")}
    return {"type": "Hostname", "hostname": str(entry.get("hostname") or "")}
