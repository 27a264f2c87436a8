"""The echo server's TCP and UDP modes over loopback sockets."""

from __future__ import annotations

import json
import socket

import pytest

from harness.echo import BackgroundEchoServer, EchoConfig, EchoMode

pytestmark = pytest.mark.timeout(60)


def test_tcp_mode_welcome_ping_is_tls_and_test() -> None:
    env = {"TCP_ECHO_SERVER": "1", "TCP_PORT": "0", "NAMESPACE": "infra", "POD_NAME": "tcp-1"}
    config = EchoConfig.from_env(env, bind_host="127.0.0.1")
    assert config.mode is EchoMode.TCP
    with BackgroundEchoServer(config) as server:
        assert "tls" not in server.ports  # no certificate, no TLS listener
        address = ("127.0.0.1", server.ports["tcp"])
        with (
            socket.create_connection(address, timeout=10) as sock,
            sock.makefile("rb") as reader,
        ):
            assert reader.readline() == b"Gateway API Test TCP Server\n"
            sock.sendall(b"PING\r\nUNKNOWN\nIS_TLS\nTEST\n")
            assert reader.readline() == b"PONG\n"
            assert reader.readline() == b"false\n"
            line = reader.readline()
    payload = json.loads(line)
    assert list(payload) == [
        "namespace",
        "ingress",
        "service",
        "pod",
        "tcpport",
        "tlsport",
        "isTLS",
    ]
    assert payload["namespace"] == "infra"
    assert payload["pod"] == "tcp-1"
    assert payload["tcpport"] == "0"
    assert payload["tlsport"] == "8443"
    assert payload["isTLS"] is False


def test_udp_mode_replies_with_payload_and_context() -> None:
    env = {"UDP_ECHO_SERVER": "1", "UDP_PORT": "0", "SERVICE_NAME": "udp-svc", "POD_NAME": "u-1"}
    with (
        BackgroundEchoServer(EchoConfig.from_env(env, bind_host="127.0.0.1")) as server,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
    ):
        sock.settimeout(10)
        sock.sendto(b"hello <udp>", ("127.0.0.1", server.ports["udp"]))
        reply, _ = sock.recvfrom(4096)
    assert reply.startswith(b'{"request":"hello \\u003cudp\\u003e",')
    assert json.loads(reply) == {
        "request": "hello <udp>",
        "namespace": "",
        "ingress": "",
        "service": "udp-svc",
        "pod": "u-1",
    }
