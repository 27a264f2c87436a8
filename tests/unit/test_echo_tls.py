"""HTTPS (SNI, ALPN, client certificates), gRPC over TLS and TCP-over-TLS of the echo server."""

from __future__ import annotations

import contextlib
import datetime
import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import h2.config
import h2.connection
import h2.events
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness.echo import BackgroundEchoServer, EchoConfig, EchoMode, PodContext
from harness.echo.grpc_proto import EchoRequest, EchoResponse

pytestmark = pytest.mark.timeout(60)

SERVER_NAME = "abc.example.com"
CONTEXT = PodContext(namespace="tls-ns", pod="tls-backend-1")


@dataclass(frozen=True)
class Pki:
    ca_file: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    client_pem: str


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    dns: str = "",
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue("echo test CA", ca_key, "echo test CA", ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _issue(SERVER_NAME, server_key, "echo test CA", ca_key, dns=SERVER_NAME)
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _issue("client", client_key, "echo test CA", ca_key)

    def write(name: str, data: bytes) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    pem = serialization.Encoding.PEM
    return Pki(
        ca_file=write("ca.pem", ca.public_bytes(pem)),
        server_cert=write("server.pem", server.public_bytes(pem)),
        server_key=write("server.key", key_pem(server_key)),
        client_cert=write("client.pem", client.public_bytes(pem)),
        client_key=write("client.key", key_pem(client_key)),
        client_pem=client.public_bytes(pem).decode(),
    )


@pytest.fixture(scope="module")
def https_echo(pki: Pki) -> Iterator[BackgroundEchoServer]:
    env = {
        "HTTP_PORT": "0",
        "H2C_PORT": "0",
        "HTTPS_PORT": "0",
        "TLS_SERVER_CERT": str(pki.server_cert),
        "TLS_SERVER_PRIVKEY": str(pki.server_key),
        "TLS_CLIENT_CACERTS": str(pki.ca_file),
        "NAMESPACE": CONTEXT.namespace,
        "POD_NAME": CONTEXT.pod,
    }
    with BackgroundEchoServer(EchoConfig.from_env(env, bind_host="127.0.0.1")) as server:
        yield server


def client_context(pki: Pki, *, with_client_cert: bool, alpn: list[str]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca_file))
    if with_client_cert:
        context.load_cert_chain(str(pki.client_cert), str(pki.client_key))
    context.set_alpn_protocols(alpn)
    return context


@contextlib.contextmanager
def tls_connection(port: int, context: ssl.SSLContext) -> Iterator[ssl.SSLSocket]:
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    with context.wrap_socket(raw, server_hostname=SERVER_NAME) as sock:
        yield sock


def https_get(port: int, context: ssl.SSLContext, path: str) -> tuple[bytes, dict[str, object]]:
    with tls_connection(port, context) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: {SERVER_NAME}\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, body = answer.split(b"\r\n\r\n", 1)
    return head, json.loads(body)


def test_https_reports_sni_version_cipher_and_client_cert(
    https_echo: BackgroundEchoServer, pki: Pki
) -> None:
    context = client_context(pki, with_client_cert=True, alpn=["http/1.1"])
    head, data = https_get(https_echo.ports["https"], context, "/tls")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert list(data)[-1] == "tls"
    tls = data["tls"]
    assert isinstance(tls, dict)
    assert tls["serverName"] == SERVER_NAME
    assert tls["version"] in ("TLSv1.2", "TLSv1.3")
    assert tls["negotiatedProtocol"] == "http/1.1"
    assert str(tls["cipherSuite"]).startswith("TLS_")
    assert tls["peerCertificates"] == [pki.client_pem]
    assert data["namespace"] == CONTEXT.namespace


def test_https_without_client_cert_is_allowed(https_echo: BackgroundEchoServer, pki: Pki) -> None:
    context = client_context(pki, with_client_cert=False, alpn=["http/1.1"])
    _, data = https_get(https_echo.ports["https"], context, "/anon")
    tls = data["tls"]
    assert isinstance(tls, dict)
    assert "peerCertificates" not in tls


def h2_over_tls(port: int, pki: Pki, path: str) -> tuple[int, bytes]:
    """Status and body of one HTTP/2 GET over TLS (ALPN h2)."""
    context = client_context(pki, with_client_cert=False, alpn=["h2"])
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    conn.send_headers(
        1,
        [(":method", "GET"), (":path", path), (":scheme", "https"), (":authority", "x")],
        end_stream=True,
    )
    status, body = 0, b""
    with tls_connection(port, context) as sock:
        assert sock.selected_alpn_protocol() == "h2"
        sock.sendall(conn.data_to_send())
        ended = False
        while not ended:
            data = sock.recv(65536)
            assert data
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    status = int(dict(event.headers or [])[b":status"])
                elif isinstance(event, h2.events.DataReceived):
                    body += event.data
                ended = ended or isinstance(event, h2.events.StreamEnded)
    return status, body


def test_https_h2_via_alpn(https_echo: BackgroundEchoServer, pki: Pki) -> None:
    status, body = h2_over_tls(https_echo.ports["https"], pki, "/over-h2")
    assert status == 200
    echoed = json.loads(body)
    assert echoed["proto"] == "HTTP/2.0"
    assert echoed["tls"]["negotiatedProtocol"] == "h2"
    assert echoed["tls"]["serverName"] == SERVER_NAME


def test_retry_over_h2_cannot_reset_and_answers_500(
    https_echo: BackgroundEchoServer, pki: Pki
) -> None:
    path = "/retry/h2?uuid=h2-uuid&succeedAfter=1"
    status, body = h2_over_tls(https_echo.ports["https"], pki, path)
    assert status == 500
    assert json.loads(body) == {"message": "response writer does not support hijacking"}
    status, _ = h2_over_tls(https_echo.ports["https"], pki, path)
    assert status == 200


def test_grpc_over_tls_reports_tls_assertions(pki: Pki) -> None:
    env = {
        "GRPC_ECHO_SERVER": "1",
        "HTTP_PORT": "0",
        "HTTPS_PORT": "0",
        "TLS_SERVER_CERT": str(pki.server_cert),
        "TLS_SERVER_PRIV_KEY": str(pki.server_key),
        "POD_NAME": "grpc-tls-pod",
    }
    config = EchoConfig.from_env(env, bind_host="127.0.0.1")
    assert config.mode is EchoMode.GRPC
    with BackgroundEchoServer(config) as server:
        credentials = grpc.ssl_channel_credentials(root_certificates=pki.ca_file.read_bytes())
        options = [("grpc.ssl_target_name_override", SERVER_NAME)]
        target = f"127.0.0.1:{server.ports['grpcs']}"
        with grpc.secure_channel(target, credentials, options=options) as channel:
            echo = channel.unary_unary(
                "/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/Echo",
                request_serializer=lambda message: message.SerializeToString(),
                response_deserializer=EchoResponse.FromString,
            )
            response = echo(EchoRequest(), timeout=10)
    tls = response.assertions.tls_assertions
    assert tls.server_name == SERVER_NAME
    assert tls.negotiated_protocol == "h2"
    assert tls.version in ("TLSv1.2", "TLSv1.3")
    assert response.assertions.context.pod == "grpc-tls-pod"


def test_tcp_mode_over_tls(pki: Pki) -> None:
    env = {
        "TCP_ECHO_SERVER": "1",
        "TCP_PORT": "0",
        "TLS_PORT": "0",
        "TLS_SERVER_CERT": str(pki.server_cert),
        "TLS_SERVER_PRIV_KEY": str(pki.server_key),
        "POD_NAME": "tcp-backend-1",
    }
    with BackgroundEchoServer(EchoConfig.from_env(env, bind_host="127.0.0.1")) as server:
        context = client_context(pki, with_client_cert=False, alpn=[])
        with tls_connection(server.ports["tls"], context) as sock, sock.makefile("rb") as reader:
            assert reader.readline() == b"Gateway API Test TCP Server\n"
            sock.sendall(b"IS_TLS\nTEST\n")
            assert reader.readline() == b"true\n"
            payload = json.loads(reader.readline())
    assert payload["isTLS"] is True
    assert payload["pod"] == "tcp-backend-1"
    assert payload["tls"]["serverName"] == SERVER_NAME
    assert payload["tls"]["version"] in ("TLS 1.2", "TLS 1.3")
