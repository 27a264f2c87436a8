"""Client certificates through the proxy process: frontend validation on HTTPS ports
(AllowValidOnly, AllowInsecureFallback) and the Gateway's certificate towards TLS backends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from harness.conformance.http_client import (
    HandshakeRecord,
    HttpRequest,
    HttpResponse,
    TlsSettings,
    send,
)
from harness.echo import BackgroundEchoServer, EchoConfig
from tests.unit.test_proxy_support import ProxyProcess, free_port, http1, http_listener, route, rule
from tests.unit.test_proxy_tls_backend import _files, good_policy, tls_backend
from tests.unit.test_proxy_tls_support import Issued, TestCA

pytestmark = pytest.mark.timeout(120)

HOST = "example.org"


@pytest.fixture(scope="module")
def proxy() -> Iterator[ProxyProcess]:
    p = ProxyProcess(workers=1)
    yield p
    p.stop()


@pytest.fixture(scope="module")
def server_ca() -> TestCA:
    return TestCA("listener CA")


@pytest.fixture(scope="module")
def client_ca() -> TestCA:
    return TestCA("client CA")


@pytest.fixture(scope="module")
def plain_pod() -> Iterator[BackgroundEchoServer]:
    env = {"HTTP_PORT": "0", "H2C_PORT": "0", "POD_NAME": "plain-backend"}
    with BackgroundEchoServer(EchoConfig.from_env(env, bind_host="127.0.0.1")) as server:
        yield server


def _https_listener(
    port: int, backend_port: int, server: Issued, validation: dict[str, str] | None
) -> dict[str, Any]:
    backend = {
        "name": "ns/plain:80",
        "weight": 1,
        "valid": True,
        "endpoints": [{"ip": "127.0.0.1", "port": backend_port}],
    }
    tls: dict[str, Any] = {
        "mode": "Terminate",
        "certificates": [{"certPem": server.cert_pem, "keyPem": server.key_pem}],
    }
    if validation is not None:
        tls["clientValidation"] = validation
    return {
        "name": f"https-{port}",
        "port": port,
        "protocol": "HTTPS",
        "hostname": None,
        "tls": tls,
        "routes": [route("r", [rule(0, [backend])], [HOST])],
    }


def _get(
    port: int, server_ca: TestCA, client: Issued | None
) -> tuple[HttpResponse | None, HandshakeRecord]:
    """One HTTPS GET; None when the connection fails (refused handshake)."""
    tls = TlsSettings(
        server_name=HOST,
        ca_pem=server_ca.pem,
        client_cert_pem=client.cert_pem if client else "",
        client_key_pem=client.key_pem if client else "",
    )
    record = HandshakeRecord()
    try:
        response = send(
            f"127.0.0.1:{port}", HttpRequest(path="/", host=HOST, tls=tls), 5.0, record=record
        )
    except OSError:
        return None, record
    return response, record


def test_allow_valid_only_refuses_handshakes_without_a_valid_certificate(
    proxy: ProxyProcess, plain_pod: BackgroundEchoServer, server_ca: TestCA, client_ca: TestCA
) -> None:
    port = free_port()
    server = server_ca.issue([HOST])
    validation = {"mode": "AllowValidOnly", "caPem": client_ca.pem}
    proxy.push([_https_listener(port, plain_pod.ports["http"], server, validation)])

    answered, record = _get(port, server_ca, client_ca.issue(["client"]))
    assert answered is not None and answered.status == 200
    assert record.certificate_requested
    refused, _ = _get(port, server_ca, None)
    assert refused is None, "a handshake without a client certificate must fail"
    other, record = _get(port, server_ca, TestCA("another CA").issue(["client"]))
    assert other is None, "a certificate of another CA must be refused"
    assert record.certificate_requested


def test_allow_insecure_fallback_asks_but_accepts_any_certificate_or_none(
    proxy: ProxyProcess, plain_pod: BackgroundEchoServer, server_ca: TestCA, client_ca: TestCA
) -> None:
    port = free_port()
    server = server_ca.issue([HOST])
    validation = {"mode": "AllowInsecureFallback", "caPem": client_ca.pem}
    proxy.push([_https_listener(port, plain_pod.ports["http"], server, validation)])

    for client in (client_ca.issue(["client"]), TestCA("another CA").issue(["client"]), None):
        response, record = _get(port, server_ca, client)
        assert response is not None and response.status == 200, client
        assert record.certificate_requested


def test_changing_the_mode_of_a_port_takes_effect(
    proxy: ProxyProcess, plain_pod: BackgroundEchoServer, server_ca: TestCA, client_ca: TestCA
) -> None:
    port = free_port()
    server = server_ca.issue([HOST])
    backend = plain_pod.ports["http"]
    strict = {"mode": "AllowValidOnly", "caPem": client_ca.pem}
    proxy.push([_https_listener(port, backend, server, strict)])
    assert _get(port, server_ca, None)[0] is None
    proxy.push([_https_listener(port, backend, server, None)])
    response, record = _get(port, server_ca, client_ca.issue(["client"]))
    assert response is not None and response.status == 200
    assert not record.certificate_requested, "without validation no certificate is asked for"
    proxy.push([_https_listener(port, backend, server, strict)])
    assert _get(port, server_ca, None)[0] is None


def test_backend_sees_the_gateway_client_certificate(proxy: ProxyProcess) -> None:
    backend_ca = TestCA("backend CA")
    gateway_ca = TestCA("gateway client CA")
    cert, key = _files(backend_ca.issue(["abc.example.com"]))
    ca_file = _files(Issued(gateway_ca.pem, "", ""))[0]
    env = {
        "HTTP_PORT": "0",
        "H2C_PORT": "0",
        "HTTPS_PORT": "0",
        "POD_NAME": "mtls-backend",
        "TLS_SERVER_CERT": cert,
        "TLS_SERVER_PRIVKEY": key,
        "TLS_CLIENT_CACERTS": ca_file,
    }
    client = gateway_ca.issue(["gateway"])
    port = free_port()
    with BackgroundEchoServer(EchoConfig.from_env(env, bind_host="127.0.0.1")) as pod:
        b = pod.ports["https"]
        with_cert = good_policy(
            backend_ca, clientCertificate={"certPem": client.cert_pem, "keyPem": client.key_pem}
        )
        routes = [
            route("with", [rule(0, [tls_backend(b, with_cert)])], ["with.test"]),
            route("without", [rule(0, [tls_backend(b, good_policy(backend_ca))])], ["no.test"]),
        ]
        proxy.push([http_listener(port, routes)])
        seen = json.loads(http1(port, host="with.test").body)["tls"]
        assert seen.get("peerCertificates") == [client.cert_pem]
        unseen = json.loads(http1(port, host="no.test").body)["tls"]
        assert not unseen.get("peerCertificates")
