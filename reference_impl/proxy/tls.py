"""TLS for HTTPS listeners: one server context per port, certificates chosen by SNI."""

from __future__ import annotations

import hashlib
import os
import ssl
import tempfile
from collections.abc import Callable

from cryptography import x509

from reference_impl.proxy.client_verification import apply_client_validation
from reference_impl.proxy.routing import CompiledTable, hostname_matches, normalize_host
from reference_impl.routing_table import Certificate, ClientValidation

ALPN = ["h2", "http/1.1"]
# where the SNI callback leaves the requested name for the connection to read after the handshake
SNI_ATTRIBUTE = "gwh_sni"


def certificate_names(cert_pem: str) -> list[str]:
    """DNS SANs of the leaf certificate (lower-case), or its CN when it has none."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
    except ValueError:
        return []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        return [n.lower() for n in san.value.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        return [str(cns[0].value).lower()] if cns else []


def _specificity(name: str, sni: str) -> int:
    """How well a certificate name covers the SNI: exact beats longer wildcard; -1 = no."""
    if name == sni:
        return 1_000_000
    if name.startswith("*.") and hostname_matches(name, sni):
        return len(name)
    return -1


class CertificateStore:
    """SSL contexts per certificate, built once and cached by content."""

    def __init__(self) -> None:
        self.contexts: dict[str, ssl.SSLContext] = {}
        self.names: dict[str, list[str]] = {}

    def _key(self, cert: Certificate) -> str:
        return hashlib.sha256((cert.cert_pem + "\0" + cert.key_pem).encode()).hexdigest()

    def context(
        self, cert: Certificate, alpn: list[str] | None = None, client_ca: str | None = None
    ) -> ssl.SSLContext:
        """A server context holding this certificate (ALPN h2, http/1.1 unless given) and,
        for ports that validate client certificates, their CA."""
        key = self._key(cert)
        ctx_key = key if alpn is None else key + "\0" + ",".join(alpn)
        if client_ca:
            ctx_key += "\0" + hashlib.sha256(client_ca.encode()).hexdigest()
        ctx = self.contexts.get(ctx_key)
        if ctx is None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.set_alpn_protocols(ALPN if alpn is None else alpn)
            _load_into(ctx, cert)
            if client_ca:
                ctx.load_verify_locations(cadata=client_ca)
            self.contexts[ctx_key] = ctx
            self.names[key] = certificate_names(cert.cert_pem)
        return ctx

    def best(
        self,
        certs: tuple[Certificate, ...],
        sni: str | None,
        alpn: list[str] | None = None,
        client_ca: str | None = None,
    ) -> ssl.SSLContext:
        """The certificate whose names match the SNI most specifically, else the first."""
        chosen = certs[0]
        if sni:
            best_score = -1
            for cert in certs:
                self.context(cert)
                for name in self.names[self._key(cert)]:
                    score = _specificity(name, sni)
                    if score > best_score:
                        best_score, chosen = score, cert
        return self.context(chosen, alpn, client_ca)


def port_context(
    port: int,
    initial: CompiledTable,
    table_of: Callable[[], CompiledTable | None],
    store: CertificateStore,
    alpn: list[str] | None = None,
) -> ssl.SSLContext | None:
    """The listening context of an HTTPS port; the SNI callback reads the table in force."""
    table = initial
    if port not in table.ports:
        return None
    first = next(
        (
            c.listener.tls
            for c in table.ports[port].listeners
            if c.listener.tls and c.listener.tls.certificates
        ),
        None,
    )
    if first is None:
        return None
    default = first.certificates[0]
    validation = port_client_validation(table, port)
    client_ca = validation.ca_pem if validation is not None else None

    def on_sni(sslobj: ssl.SSLObject, server_name: str | None, _ctx: ssl.SSLContext) -> int | None:
        sni = normalize_host(server_name) if server_name else None
        setattr(sslobj, SNI_ATTRIBUTE, sni)
        current = table_of()
        pl = current.ports.get(port) if current is not None else None
        listener = pl.by_sni(sni) if pl is not None else None
        if (
            listener is None
            or listener.listener.tls is None
            or not listener.listener.tls.certificates
        ):
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        sslobj.context = store.best(listener.listener.tls.certificates, sni, alpn, client_ca)
        return None

    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.set_alpn_protocols(ALPN if alpn is None else alpn)
    server.sni_callback = on_sni
    _load_into(server, default)  # the listening context needs a certificate before SNI
    apply_client_validation(server, validation)
    return server


def port_client_validation(table: CompiledTable, port: int) -> ClientValidation | None:
    """The client validation of an HTTPS port: the controller gives every HTTPS listener of
    a port the same one; otherwise the first listener that has one decides for the port."""
    if port not in table.ports:
        return None
    for compiled in table.ports[port].listeners:
        tls = compiled.listener.tls
        if tls is not None and tls.client_validation is not None:
            return tls.client_validation
    return None


def _load_into(ctx: ssl.SSLContext, cert: Certificate) -> None:
    with tempfile.TemporaryDirectory(prefix="gwh-proxy-tls-") as folder:
        cert_path = os.path.join(folder, "tls.crt")
        key_path = os.path.join(folder, "tls.key")
        for path, text in ((cert_path, cert.cert_pem), (key_path, cert.key_pem)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
        ctx.load_cert_chain(cert_path, key_path)
