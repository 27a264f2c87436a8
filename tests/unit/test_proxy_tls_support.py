"""Helpers for the TLS listener and backend-TLS tests: a CA, leaf certificates, TCP echo pods."""

from __future__ import annotations

import datetime
import json
import os
import socket
import ssl
import tempfile
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness.echo import BackgroundEchoServer, EchoConfig


@dataclass(frozen=True)
class Issued:
    """A leaf certificate (PEM) with its key and the CA that signed it."""

    cert_pem: str
    key_pem: str
    ca_pem: str


class TestCA:
    """A throwaway certificate authority."""

    __test__ = False  # not a pytest class

    def __init__(self, name: str = "gwh test CA") -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = self.cert.public_bytes(serialization.Encoding.PEM).decode()

    def issue(self, dns: list[str], uris: list[str] | None = None) -> Issued:
        """A leaf for these DNS and URI SANs."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in dns]
        sans += [x509.UniformResourceIdentifier(u) for u in uris or []]
        cn = dns[0] if dns else "leaf"
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return Issued(cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem, self.pem)


class TcpPod:
    """The TCP echo mode on loopback: a plain port and a TLS port with an issued certificate."""

    def __init__(self, pod: str, issued: Issued) -> None:
        self.pod = pod
        self.issued = issued
        self.folder = tempfile.mkdtemp(prefix="gwh-tcp-pod-")
        cert_path = os.path.join(self.folder, "tls.crt")
        key_path = os.path.join(self.folder, "tls.key")
        with open(cert_path, "w") as fh:
            fh.write(issued.cert_pem)
        with open(key_path, "w") as fh:
            fh.write(issued.key_pem)
        env = {
            "TCP_ECHO_SERVER": "1",
            "TCP_PORT": "0",
            "TLS_PORT": "0",
            "POD_NAME": pod,
            "TLS_SERVER_CERT": cert_path,
            "TLS_SERVER_PRIV_KEY": key_path,
        }
        self.server = BackgroundEchoServer(EchoConfig.from_env(env, bind_host="127.0.0.1"))

    def __enter__(self) -> TcpPod:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(None, None, None)

    @property
    def tcp(self) -> int:
        return self.server.ports["tcp"]

    @property
    def tls(self) -> int:
        return self.server.ports["tls"]


def tcp_backend(
    name: str, port: int, weight: int = 1, valid: bool = True, tls: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A Backend entry for one loopback port."""
    doc: dict[str, Any] = {
        "name": name,
        "weight": weight,
        "valid": valid,
        "endpoints": [{"ip": "127.0.0.1", "port": port}],
    }
    if tls is not None:
        doc["tls"] = tls
    return doc


def tls_route(
    name: str,
    hostnames: list[str],
    backends: list[dict[str, Any]],
    created: str = "2026-01-01T00:00:00Z",
) -> dict[str, Any]:
    """A TLSRoute entry."""
    return {
        "kind": "TLSRoute",
        "namespace": "ns",
        "name": name,
        "creationTimestamp": created,
        "hostnames": hostnames,
        "ruleName": None,
        "backends": backends,
    }


def tls_listener(
    port: int,
    mode: str,
    routes: list[dict[str, Any]],
    hostname: str | None = None,
    cert: Issued | None = None,
    name: str = "",
) -> dict[str, Any]:
    """A protocol TLS Listener entry."""
    certs = [{"certPem": cert.cert_pem, "keyPem": cert.key_pem}] if cert else []
    return {
        "name": name or f"tls-{port}",
        "port": port,
        "protocol": "TLS",
        "hostname": hostname,
        "tls": {"mode": mode, "certificates": certs},
        "routes": routes,
    }


@dataclass(frozen=True)
class TcpAnswer:
    """What the TCP echo server told a client through the proxy."""

    is_tls: bool
    payload: dict[str, Any]


def talk(port: int, sni: str | None, ca_pem: str | None) -> TcpAnswer:
    """TLS to the proxy (verifying against ca_pem when given), then PING, IS_TLS and TEST."""
    ctx = ssl.create_default_context()
    if ca_pem is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.load_verify_locations(cadata=ca_pem)
        ctx.check_hostname = sni is not None
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    with ctx.wrap_socket(raw, server_hostname=sni) as sock, sock.makefile("rb") as reader:
        assert reader.readline() == b"Gateway API Test TCP Server\n"
        sock.sendall(b"PING\nIS_TLS\nTEST\n")
        assert reader.readline() == b"PONG\n"
        is_tls = reader.readline().strip() == b"true"
        payload = json.loads(reader.readline())
    return TcpAnswer(is_tls, payload)


def rejected(port: int, sni: str | None) -> bool:
    """Whether the proxy closes a TLS connection with this SNI before any echo data."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        with ctx.wrap_socket(raw, server_hostname=sni) as sock:
            return sock.recv(100) == b""
    except TimeoutError:
        return False  # a hanging connection is not a rejection
    except (ssl.SSLError, ConnectionError, OSError):
        return True
