"""TLS to backends (BackendTLSPolicy): client contexts and subjectAltName verification."""

from __future__ import annotations

import os
import ssl
import tempfile

from cryptography import x509

from reference_impl.proxy.routing import hostname_matches
from reference_impl.routing_table import BackendTLS, Certificate

_CONTEXTS: dict[
    tuple[str | None, str | None, bool, tuple[str, ...], Certificate | None], ssl.SSLContext
] = {}
_CONTEXT_LIMIT = 256


class BackendTLSError(Exception):
    """The backend's certificate does not satisfy the policy."""


def client_context(tls: BackendTLS, alpn: tuple[str, ...]) -> ssl.SSLContext:
    """A verifying client context for the policy (cached by CA and ALPN)."""
    by_san = bool(tls.subject_alt_names)
    key = (tls.ca_pem, tls.well_known_ca, by_san, alpn, tls.client_certificate)
    ctx = _CONTEXTS.get(key)
    if ctx is None:
        if tls.ca_pem is not None:
            ctx = ssl.create_default_context(cadata=tls.ca_pem)
        else:
            ctx = ssl.create_default_context()  # wellKnownCACertificates: System
        # with subjectAltNames the SAN list replaces the hostname check (done in verify_peer)
        ctx.check_hostname = not by_san
        ctx.verify_mode = ssl.CERT_REQUIRED
        if alpn:
            ctx.set_alpn_protocols(list(alpn))
        if tls.client_certificate is not None:
            _load_client_certificate(ctx, tls.client_certificate)
        if len(_CONTEXTS) >= _CONTEXT_LIMIT:
            _CONTEXTS.clear()
        _CONTEXTS[key] = ctx
    return ctx


def _load_client_certificate(ctx: ssl.SSLContext, cert: Certificate) -> None:
    # ssl loads credentials only from files: private, and gone once loaded.
    with tempfile.TemporaryDirectory(prefix="gwh-proxy-client-") as folder:
        path = os.path.join(folder, "client.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(cert.cert_pem.rstrip("\n") + "\n" + cert.key_pem)
        ctx.load_cert_chain(path)


def verify_peer(tls: BackendTLS, der: bytes | None) -> None:
    """Check the backend certificate against subjectAltNames (any one must match)."""
    if not tls.subject_alt_names:
        return  # the context already checked the certificate against `hostname`
    if der is None:
        raise BackendTLSError("the backend presented no certificate")
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise BackendTLSError("the backend certificate has no subjectAltName") from None
    dns = [name.lower() for name in san.get_values_for_type(x509.DNSName)]
    uris = list(san.get_values_for_type(x509.UniformResourceIdentifier))
    for want in tls.subject_alt_names:
        if want.type == "Hostname":
            host = want.value.lower()
            if any(name == host or hostname_matches(name, host) for name in dns):
                return
        elif want.value in uris:
            return
    raise BackendTLSError(
        f"the backend certificate matches none of the subjectAltNames "
        f"{[s.value for s in tls.subject_alt_names]}"
    )
