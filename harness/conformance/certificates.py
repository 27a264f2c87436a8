"""Certificates generated at run time (RSA, like upstream's base setup), as PEM text."""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_BITS = 2048
VALIDITY = datetime.timedelta(days=2)


@dataclasses.dataclass(frozen=True)
class KeyPair:
    """A certificate and its private key, both PEM."""

    cert_pem: str
    key_pem: str
    # The key object, so the pair can sign other certificates.
    _key: rsa.RSAPrivateKey = dataclasses.field(repr=False, compare=False)

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem.encode())


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def _san(names: Sequence[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        if name.startswith("spiffe://") or "://" in name:
            entries.append(x509.UniformResourceIdentifier(name))
            continue
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _pem(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> KeyPair:
    return KeyPair(
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode(),
        key,
    )


def _builder(
    common_name: str, issuer: x509.Name | None
) -> tuple[x509.CertificateBuilder, x509.Name]:
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer or subject)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
    )
    return builder, subject


def certificate_authority(common_name: str = "gateway-harness CA") -> KeyPair:
    """A self-signed CA that can sign server and client certificates."""
    key = _key()
    builder, _ = _builder(common_name, None)
    cert = (
        builder.public_key(key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return _pem(cert, key)


def leaf(
    names: Sequence[str],
    ca: KeyPair | None = None,
    *,
    client: bool = False,
) -> KeyPair:
    """A server (or client) certificate for ``names``; self-signed when ``ca`` is None."""
    if not names:
        raise ValueError("a certificate needs at least one name")
    key = _key()
    issuer = ca.certificate.subject if ca else None
    builder, _ = _builder(names[0], issuer)
    usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
    builder = (
        builder.public_key(key.public_key())
        .add_extension(_san(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        # A self-signed leaf must be its own trust anchor for clients to accept it.
        .add_extension(x509.BasicConstraints(ca=ca is None, path_length=None), critical=True)
    )
    cert = builder.sign(ca._key if ca else key, hashes.SHA256())
    return _pem(cert, key)
