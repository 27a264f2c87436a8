"""Listener certificate references: permission, existence and PEM validity of TLS Secrets."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)

from reference_impl.controller.constants import GATEWAY_GROUP
from reference_impl.controller.model import Snapshot
from reference_impl.controller.references import is_permitted


@dataclasses.dataclass(frozen=True)
class CertificateResult:
    """Outcome of one certificateRef: a PEM pair, or a failing reason with a message."""

    cert_pem: str | None = None
    key_pem: str | None = None
    reason: str | None = None
    message: str = ""


def resolve_certificate_ref(
    snapshot: Snapshot, gateway_namespace: str, ref: Mapping[str, Any], from_kind: str = "Gateway"
) -> CertificateResult:
    """Permission first (RefNotPermitted), then existence and content (InvalidCertificateRef).

    `from_kind` is the kind holding the listener: a ListenerSet needs grants naming
    ListenerSet; grants to its parent Gateway do not carry over.
    """
    group = ref.get("group") or ""
    kind = ref.get("kind") or "Secret"
    name = ref.get("name") or ""
    namespace = ref.get("namespace") or gateway_namespace
    where = f"{kind} {namespace}/{name}"
    if not is_permitted(
        snapshot,
        from_group=GATEWAY_GROUP,
        from_kind=from_kind,
        from_namespace=gateway_namespace,
        to_group=group,
        to_kind=kind,
        to_namespace=namespace,
        to_name=name,
    ):
        return CertificateResult(
            reason="RefNotPermitted",
            message=f"certificateRef to {where} is not permitted by any ReferenceGrant",
        )
    if group != "" or kind != "Secret":
        return CertificateResult(
            reason="InvalidCertificateRef",
            message=f"certificateRef kind {group or 'core'}/{kind} is not supported (use a Secret)",
        )
    secret = snapshot.secrets.get((namespace, name))
    if secret is None:
        return CertificateResult(reason="InvalidCertificateRef", message=f"{where} does not exist")
    data = secret.get("data") or {}
    try:
        cert_pem = base64.b64decode(data.get("tls.crt") or "", validate=True).decode()
        key_pem = base64.b64decode(data.get("tls.key") or "", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return CertificateResult(
            reason="InvalidCertificateRef", message=f"{where} holds data that is not base64 PEM"
        )
    problem = pem_problem(cert_pem, key_pem)
    if problem:
        return CertificateResult(reason="InvalidCertificateRef", message=f"{where}: {problem}")
    return CertificateResult(cert_pem=cert_pem, key_pem=key_pem)


@functools.lru_cache(maxsize=512)
def pem_problem(cert_pem: str, key_pem: str) -> str | None:
    """Why this certificate/key pair cannot serve TLS, or None when it can (cached: pure)."""
    if not cert_pem or not key_pem:
        return "tls.crt and tls.key must both be set"
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
    except ValueError:
        return "tls.crt is not a PEM certificate"
    try:
        key = load_pem_private_key(key_pem.encode(), password=None)
    except (ValueError, TypeError):
        return "tls.key is not an unencrypted PEM private key"
    if _spki(cert.public_key()) != _spki(key.public_key()):
        return "tls.key does not belong to the certificate in tls.crt"
    return None


def _spki(public_key: Any) -> bytes:
    return bytes(public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))
