"""Gateway-level TLS (`spec.tls`): frontend client-certificate validation and the client
certificate the proxy presents to TLS backends.

Frontend validation (GEP-91) is configured per port: `perPort[].port` overrides `default` for
every HTTPS listener on that port. Its CA references surface on those listeners (`ResolvedRefs`,
and `Accepted=False/NoValidCACertificate` when none is usable); the backend client certificate
and the insecure mode surface on the Gateway itself.
"""

from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from reference_impl.controller.backend_tls import holds_pem_certificates
from reference_impl.controller.certificates import resolve_certificate_ref
from reference_impl.controller.conditions import Condition, condition
from reference_impl.controller.constants import GATEWAY_GROUP
from reference_impl.controller.model import Obj, Snapshot, key_of
from reference_impl.controller.references import is_permitted

if TYPE_CHECKING:
    from reference_impl.controller.listeners import ListenerEval

ALLOW_VALID_ONLY = "AllowValidOnly"
ALLOW_INSECURE_FALLBACK = "AllowInsecureFallback"
CA_KINDS = frozenset({"ConfigMap", "Secret"})


@dataclasses.dataclass(frozen=True)
class CaRefOutcome:
    """One caCertificateRef: its PEM bundle, or the listener reason explaining why not."""

    pem: str | None
    reason: str | None
    message: str


@dataclasses.dataclass(frozen=True)
class FrontendValidation:
    """The validation one port's HTTPS listeners apply to client certificates."""

    mode: str
    outcomes: tuple[CaRefOutcome, ...]

    @property
    def ca_pem(self) -> str:
        """Every usable CA, concatenated (empty when none is usable)."""
        return "".join(pem if pem.endswith("\n") else pem + "\n" for pem in self._valid())

    @property
    def failures(self) -> list[CaRefOutcome]:
        return [o for o in self.outcomes if o.reason is not None]

    def _valid(self) -> list[str]:
        return [o.pem for o in self.outcomes if o.reason is None and o.pem]


def _frontend(gateway: Obj) -> Mapping[str, Any]:
    return ((gateway.get("spec") or {}).get("tls") or {}).get("frontend") or {}


def validation_for_port(gateway: Obj, port: int) -> Mapping[str, Any] | None:
    """The `validation` block governing HTTPS listeners on `port`: perPort first, then default."""
    frontend = _frontend(gateway)
    for entry in frontend.get("perPort") or ():
        if int(entry.get("port") or 0) == port:
            return ((entry.get("tls") or {}).get("validation")) or None
    return ((frontend.get("default") or {}).get("validation")) or None


def configured_modes(gateway: Obj) -> list[str]:
    """The validation mode of `default` and of every `perPort` entry that configures one."""
    frontend = _frontend(gateway)
    blocks = [(frontend.get("default") or {}).get("validation")]
    blocks += [((e.get("tls") or {}).get("validation")) for e in frontend.get("perPort") or ()]
    return [str(b.get("mode") or ALLOW_VALID_ONLY) for b in blocks if b]


def resolve_ca_ref(
    snapshot: Snapshot, gateway_namespace: str, ref: Mapping[str, Any]
) -> CaRefOutcome:
    """Permission first (RefNotPermitted), then kind (InvalidCACertificateKind), then the
    object and its `ca.crt` (InvalidCACertificateRef)."""
    group = str(ref.get("group") or "")
    kind = str(ref.get("kind") or "ConfigMap")
    name = str(ref.get("name") or "")
    namespace = str(ref.get("namespace") or gateway_namespace)
    where = f"{kind} {namespace}/{name}"
    if not is_permitted(
        snapshot,
        from_group=GATEWAY_GROUP,
        from_kind="Gateway",
        from_namespace=gateway_namespace,
        to_group=group,
        to_kind=kind,
        to_namespace=namespace,
        to_name=name,
    ):
        return CaRefOutcome(
            None,
            "RefNotPermitted",
            f"caCertificateRef to {where} is not permitted by any ReferenceGrant",
        )
    if group != "" or kind not in CA_KINDS:
        return CaRefOutcome(
            None,
            "InvalidCACertificateKind",
            f"caCertificateRef kind {group or 'core'}/{kind} is not supported "
            "(use a ConfigMap or Secret with key ca.crt)",
        )
    if kind == "ConfigMap":
        config_map = snapshot.config_maps.get((namespace, name))
        if config_map is None:
            return CaRefOutcome(None, "InvalidCACertificateRef", f"{where} does not exist")
        pem = str((config_map.get("data") or {}).get("ca.crt") or "")
    else:
        secret = snapshot.secrets.get((namespace, name))
        if secret is None:
            return CaRefOutcome(None, "InvalidCACertificateRef", f"{where} does not exist")
        try:
            raw = (secret.get("data") or {}).get("ca.crt") or ""
            pem = base64.b64decode(raw, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return CaRefOutcome(None, "InvalidCACertificateRef", f"{where}: ca.crt is not base64")
    if not pem.strip():
        return CaRefOutcome(None, "InvalidCACertificateRef", f"{where} has no ca.crt")
    if not holds_pem_certificates(pem):
        return CaRefOutcome(
            None, "InvalidCACertificateRef", f"{where}: ca.crt holds no PEM certificate"
        )
    return CaRefOutcome(pem, None, "")


def frontend_validation(snapshot: Snapshot, gateway: Obj, port: int) -> FrontendValidation | None:
    """What HTTPS listeners on `port` check client certificates against (None: no check)."""
    block = validation_for_port(gateway, port)
    if block is None:
        return None
    namespace, _ = key_of(gateway)
    outcomes = tuple(
        resolve_ca_ref(snapshot, namespace, ref) for ref in block.get("caCertificateRefs") or ()
    )
    return FrontendValidation(str(block.get("mode") or ALLOW_VALID_ONLY), outcomes)


def apply_frontend_validation(
    snapshot: Snapshot, gateway: Obj, listeners: Iterable[ListenerEval]
) -> None:
    """Give each HTTPS listener its port's client validation, or the reasons it has none.

    A bad CA reference fails `ResolvedRefs` on every HTTPS listener of the port; when no
    reference is usable the listener is not accepted (so neither programmed nor served).
    """
    if not _frontend(gateway):
        return
    by_port: dict[int, FrontendValidation | None] = {}
    for item in listeners:
        if item.protocol != "HTTPS" or item.conflict_reason is not None:
            continue
        if item.port not in by_port:
            by_port[item.port] = frontend_validation(snapshot, gateway, item.port)
        validation = by_port[item.port]
        if validation is None:
            continue
        failures = validation.failures
        if failures and item.refs_resolved:
            item.refs_reason = failures[0].reason or "InvalidCACertificateRef"
            item.refs_message = "; ".join(f.message for f in failures)
        if not validation.ca_pem:
            if item.accepted_reason == "Accepted":
                item.accepted_reason = "NoValidCACertificate"
                item.accepted_message = (
                    f"No caCertificateRefs entry for client validation on port {item.port} is valid"
                )
            continue
        item.client_validation = {"mode": validation.mode, "caPem": validation.ca_pem}


@dataclasses.dataclass(frozen=True)
class ClientCertificate:
    """`spec.tls.backend.clientCertificateRef`: the PEM pair, or the Gateway reason."""

    cert_pem: str | None = None
    key_pem: str | None = None
    reason: str | None = None
    message: str = ""


def backend_client_certificate(snapshot: Snapshot, gateway: Obj) -> ClientCertificate | None:
    """The Gateway's backend client certificate (None when it names none)."""
    ref = (((gateway.get("spec") or {}).get("tls") or {}).get("backend") or {}).get(
        "clientCertificateRef"
    )
    if not ref:
        return None
    namespace, _ = key_of(gateway)
    outcome = resolve_certificate_ref(snapshot, namespace, ref)
    if outcome.reason == "RefNotPermitted":
        return ClientCertificate(reason="RefNotPermitted", message=outcome.message)
    if outcome.reason is not None:
        return ClientCertificate(
            reason="InvalidClientCertificateRef",
            message=f"clientCertificateRef: {outcome.message}",
        )
    return ClientCertificate(cert_pem=outcome.cert_pem, key_pem=outcome.key_pem)


def gateway_tls_conditions(
    snapshot: Snapshot, gateway: Obj, listeners: Sequence[ListenerEval], generation: int
) -> list[Condition]:
    """`ResolvedRefs` (only when `spec.tls` holds references) and, while any configured mode
    is AllowInsecureFallback, `InsecureFrontendValidationMode`."""
    tls = (gateway.get("spec") or {}).get("tls") or {}
    result: list[Condition] = []
    if tls.get("frontend") or tls.get("backend"):
        client = backend_client_certificate(snapshot, gateway)
        unresolved = [item.name for item in listeners if not item.refs_resolved]
        if client is not None and client.reason is not None:
            resolved = condition("ResolvedRefs", False, client.reason, client.message, generation)
        elif unresolved:
            resolved = condition(
                "ResolvedRefs",
                False,
                "ListenersNotResolved",
                f"Listeners with unresolved references: {', '.join(unresolved)}",
                generation,
            )
        else:
            resolved = condition(
                "ResolvedRefs", True, "ResolvedRefs", "All references are resolved", generation
            )
        result.append(resolved)
    if ALLOW_INSECURE_FALLBACK in configured_modes(gateway):
        result.append(
            condition(
                "InsecureFrontendValidationMode",
                True,
                "ConfigurationChanged",
                "Client certificate validation is AllowInsecureFallback: connections without "
                "a valid client certificate are accepted",
                generation,
            )
        )
    return result


def with_backend_client_certificate(
    table: dict[str, Any], client: ClientCertificate | None
) -> dict[str, Any]:
    """The table with the Gateway's client certificate on every TLS backend.

    Route entries may be shared with other Gateways' tables, so this works on a copy.
    """
    if client is None or client.cert_pem is None or client.key_pem is None:
        return table
    pair = {"certPem": client.cert_pem, "keyPem": client.key_pem}
    result = copy.deepcopy(table)
    for backend in _backends(result):
        if backend.get("tls") is not None:
            backend["tls"]["clientCertificate"] = dict(pair)
    return result


def _backends(table: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    """Every backend of the table: of rules, of TLSRoutes, and of mirror filters."""
    for listener in table.get("listeners") or ():
        for route in listener.get("routes") or ():
            yield from route.get("backends") or ()
            for rule in route.get("rules") or ():
                for backend in rule.get("backends") or ():
                    yield backend
                    yield from _mirrors(backend.get("filters") or ())
                yield from _mirrors(rule.get("filters") or ())


def _mirrors(filters: Iterable[Mapping[str, Any]]) -> Iterable[dict[str, Any]]:
    for item in filters:
        backend = (item.get("requestMirror") or {}).get("backend")
        if backend is not None:
            yield backend
