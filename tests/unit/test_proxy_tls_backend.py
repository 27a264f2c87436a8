"""Backend TLS (BackendTLSPolicy) through the proxy process: HTTPRoute and GRPCRoute backends."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from harness.echo import BackgroundEchoServer, EchoConfig
from tests.unit.test_proxy_grpc import call, call_error, grpc_route, grpc_rule, pod
from tests.unit.test_proxy_support import ProxyProcess, free_port, http1, http_listener, route, rule
from tests.unit.test_proxy_tls_support import Issued, TestCA

pytestmark = pytest.mark.timeout(120)

SAN_URI = "spiffe://abc.example.com/test-identity"


def _files(issued: Issued) -> tuple[str, str]:
    folder = tempfile.mkdtemp(prefix="gwh-backend-tls-")
    cert, key = os.path.join(folder, "tls.crt"), os.path.join(folder, "tls.key")
    with open(cert, "w") as fh:
        fh.write(issued.cert_pem)
    with open(key, "w") as fh:
        fh.write(issued.key_pem)
    return cert, key


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


@pytest.fixture(scope="module")
def https_pod(ca: TestCA) -> Iterator[BackgroundEchoServer]:
    cert, key = _files(ca.issue(["abc.example.com"], [SAN_URI]))
    env = {
        "HTTP_PORT": "0",
        "H2C_PORT": "0",
        "HTTPS_PORT": "0",
        "POD_NAME": "tls-backend",
        "TLS_SERVER_CERT": cert,
        "TLS_SERVER_PRIVKEY": key,
    }
    with BackgroundEchoServer(EchoConfig.from_env(env, bind_host="127.0.0.1")) as server:
        yield server


@pytest.fixture(scope="module")
def grpcs_pod(ca: TestCA) -> Iterator[BackgroundEchoServer]:
    cert, key = _files(ca.issue(["abc.example.com"]))
    env = {
        "GRPC_ECHO_SERVER": "1",
        "HTTP_PORT": "0",
        "HTTPS_PORT": "0",
        "POD_NAME": "grpc-tls-backend",
        "TLS_SERVER_CERT": cert,
        "TLS_SERVER_PRIV_KEY": key,
    }
    with BackgroundEchoServer(EchoConfig.from_env(env, bind_host="127.0.0.1")) as server:
        yield server


@pytest.fixture(scope="module")
def proxy() -> Iterator[ProxyProcess]:
    p = ProxyProcess(workers=1)
    yield p
    p.stop()


def tls_backend(port: int, tls: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "ns/tls-backend:443",
        "weight": 1,
        "valid": True,
        "endpoints": [{"ip": "127.0.0.1", "port": port}],
        "tls": tls,
    }


def good_policy(ca: TestCA, **extra: Any) -> dict[str, Any]:
    return {"caPem": ca.pem, "hostname": "abc.example.com", "subjectAltNames": [], **extra}


def test_httproute_backend_tls_verifies_hostname_ca_and_sans(
    proxy: ProxyProcess, https_pod: BackgroundEchoServer, ca: TestCA
) -> None:
    port = free_port()
    b = https_pod.ports["https"]
    cases = {
        "good.test": good_policy(ca),
        "uri.test": good_policy(ca, subjectAltNames=[{"type": "URI", "uri": SAN_URI}]),
        "multi.test": good_policy(
            ca,
            subjectAltNames=[
                {"type": "Hostname", "hostname": "nope.example.com"},
                {"type": "Hostname", "hostname": "abc.example.com"},
            ],
        ),
        "host.test": good_policy(ca, hostname="other.example.com"),
        "ca.test": good_policy(ca, caPem=TestCA("another CA").pem),
        "san.test": good_policy(ca, subjectAltNames=[{"type": "URI", "uri": "spiffe://x/y"}]),
    }
    routes = [
        route(host.split(".")[0], [rule(0, [tls_backend(b, tls)])], [host])
        for host, tls in cases.items()
    ]
    proxy.push([http_listener(port, routes)])
    reply = http1(port, "/path", host="good.test")
    assert reply.status == 200
    assert reply.json()["pod"] == "tls-backend"
    assert reply.json()["tls"]["serverName"] == "abc.example.com"  # SNI = policy hostname
    assert http1(port, "/again", host="good.test").status == 200  # pooled TLS connection
    assert http1(port, host="uri.test").status == 200
    assert http1(port, host="multi.test").status == 200
    for host in ("host.test", "ca.test", "san.test"):
        assert http1(port, host=host).status == 502, host


def test_grpcroute_backend_tls(
    proxy: ProxyProcess, grpcs_pod: BackgroundEchoServer, ca: TestCA
) -> None:
    port = free_port()
    b = grpcs_pod.ports["grpcs"]
    proxy.push(
        [
            http_listener(
                port,
                [
                    grpc_route(
                        "good", [grpc_rule(0, [tls_backend(b, good_policy(ca))])], ["g.test"]
                    ),
                    grpc_route(
                        "bad",
                        [grpc_rule(0, [tls_backend(b, good_policy(ca, hostname="x.example"))])],
                        ["b.test"],
                    ),
                ],
            )
        ]
    )
    response, _ = call(port, "Echo", authority="g.test")
    assert pod(response) == "grpc-tls-backend"
    assert response.assertions.tls_assertions.server_name == "abc.example.com"
    assert call_error(port, "Echo", authority="b.test").code() == grpc.StatusCode.UNAVAILABLE
