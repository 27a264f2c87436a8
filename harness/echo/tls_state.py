"""TLS server contexts for the echo server and the TLS facts it reports per connection."""

from __future__ import annotations

import ssl
from collections.abc import Sequence

from harness.echo.config import EchoConfigError
from harness.echo.exchange import TLSAssertions

__all__ = ["go_version_name", "server_context", "tls_assertions"]

# OpenSSL names of TLS 1.2 suites mapped to the IANA names Go's tls.CipherSuiteName returns.
# TLS 1.3 suites already carry their IANA names in OpenSSL.
_IANA_CIPHER_NAMES = {
    "ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-RSA-CHACHA20-POLY1305": "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-ECDSA-AES128-SHA": "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "ECDHE-ECDSA-AES256-SHA": "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "ECDHE-RSA-AES128-SHA": "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "ECDHE-RSA-AES256-SHA": "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
}
# Go's default TLS 1.2 server suites are ECDHE with AEAD or CBC-SHA1.
_TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:ECDHE+AES+SHA1"
_SNI_ATTRIBUTE = "_echo_server_name"


def _remember_server_name(
    ssl_object: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, _ctx: ssl.SSLContext
) -> None:
    setattr(ssl_object, _SNI_ATTRIBUTE, server_name or "")


def server_context(
    cert_file: str,
    key_file: str,
    *,
    cert_var: str,
    key_var: str,
    client_ca_file: str = "",
    alpn: Sequence[str] = (),
) -> ssl.SSLContext:
    """A TLS 1.2+ server context from PEM files; client certificates verified if given."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(_TLS12_CIPHERS)
    try:
        context.load_cert_chain(cert_file, key_file)
    except (OSError, ssl.SSLError) as err:
        raise EchoConfigError(
            f"cannot load the TLS key pair {cert_var}={cert_file!r} {key_var}={key_file!r}: {err}; "
            "set both to readable PEM files of a matching certificate and private key"
        ) from err
    if client_ca_file:
        try:
            context.load_verify_locations(cafile=client_ca_file)
        except (OSError, ssl.SSLError) as err:
            raise EchoConfigError(
                f"cannot load TLS_CLIENT_CACERTS={client_ca_file!r}: {err}; "
                "set it to a readable PEM file of CA certificates"
            ) from err
        context.verify_mode = ssl.CERT_OPTIONAL
    if alpn:
        context.set_alpn_protocols(list(alpn))
    context.sni_callback = _remember_server_name
    return context


def go_version_name(openssl_version: str) -> str:
    """Go's tls.VersionName spelling ("TLS 1.3") of an OpenSSL version name ("TLSv1.3")."""
    return openssl_version.replace("TLSv", "TLS ")


def tls_assertions(ssl_object: ssl.SSLObject | ssl.SSLSocket) -> TLSAssertions:
    """The version, peer certificates, SNI, ALPN and cipher suite of an established connection."""
    chain: list[bytes] = []
    get_chain = getattr(ssl_object, "get_unverified_chain", None)
    if get_chain is not None:  # Python 3.13+: the certificates as the peer sent them
        chain = [bytes(der) for der in get_chain()]
    else:
        leaf = ssl_object.getpeercert(binary_form=True)
        if leaf:
            chain = [leaf]
    cipher = ssl_object.cipher()
    cipher_name = cipher[0] if cipher else ""
    return TLSAssertions(
        version=ssl_object.version() or "",
        peer_certificates=tuple(ssl.DER_cert_to_PEM_cert(der) for der in chain),
        server_name=getattr(ssl_object, _SNI_ATTRIBUTE, ""),
        negotiated_protocol=ssl_object.selected_alpn_protocol() or "",
        cipher_suite=_IANA_CIPHER_NAMES.get(cipher_name, cipher_name),
    )
