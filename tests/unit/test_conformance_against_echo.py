"""The traffic helpers against the project's echo server (harness.echo) on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from harness.conformance.consistency import NotConsistent
from harness.conformance.grpc_traffic import GrpcTraffic, call_once
from harness.conformance.timeouts import TimeoutConfig
from harness.conformance.traffic import Traffic
from harness.echo import BackgroundEchoServer, EchoConfig

FAST = TimeoutConfig().with_values({"DefaultPollInterval": 0.001, "MaxTimeToConsistency": 5})
NS = "gateway-conformance-infra"


def echo(env: dict[str, str]) -> BackgroundEchoServer:
    base = {"POD_NAME": "infra-backend-v1-7c9d8f6b5-abcde", "NAMESPACE": NS}
    return BackgroundEchoServer(EchoConfig.from_env({**base, **env}, bind_host="127.0.0.1"))


@pytest.fixture(scope="module")
def http_echo() -> Iterator[BackgroundEchoServer]:
    with echo({"HTTP_PORT": "0", "H2C_PORT": "0"}) as server:
        yield server


@pytest.fixture(scope="module")
def grpc_echo() -> Iterator[BackgroundEchoServer]:
    with echo(
        {"GRPC_ECHO_SERVER": "1", "HTTP_PORT": "0", "POD_NAME": "grpc-infra-backend-v2-a-b"}
    ) as server:
        yield server


def test_http_echo(http_echo: BackgroundEchoServer) -> None:
    traffic = Traffic(f"127.0.0.1:{http_echo.ports['http']}", FAST)
    response = traffic.get(
        "/?animal=whale", host="example.com", headers={"X-A": "1"}
    ).must_be_served_by("infra-backend-v1", host="example.com", request_headers={"x-a": "1"})
    assert response.echo is not None and response.echo["path"] == "/?animal=whale"
    traffic.get("/status/418").must_get(418)
    traffic.get("/", echo_set_headers={"X-Resp": "v"}).must_get(
        200, response_headers={"X-Resp": "v"}
    )
    assert traffic.websocket_echo("/ws", "Websocket Support!") == "Websocket Support!"
    h2c = Traffic(f"127.0.0.1:{http_echo.ports['h2c']}", FAST)
    h2c.get("/", protocol="H2C_PRIOR_KNOWLEDGE").must_be_served_by(
        "infra-backend-v1", protocol="HTTP/2.0"
    )


def test_grpc_echo(grpc_echo: BackgroundEchoServer) -> None:
    traffic = GrpcTraffic(f"127.0.0.1:{grpc_echo.ports['grpc']}", FAST)
    reply = traffic.call(
        "EchoTwo", authority="foo.bar.com", metadata={"x-color": "blue"}
    ).must_be_served_by("grpc-infra-backend-v2", headers={"x-color": "blue"})
    assert reply.authority == "foo.bar.com"
    traffic.call("EchoThree").must_fail_with(grpc.StatusCode.UNIMPLEMENTED)
    quick = GrpcTraffic(traffic.address, FAST.with_values({"MaxTimeToConsistency": 0.2}))
    with pytest.raises(NotConsistent, match="expected a pod of 'grpc-infra-backend-v1'"):
        quick.call("Echo").must_be_served_by("grpc-infra-backend-v1")
    assert call_once(traffic.address, "Echo").code == grpc.StatusCode.OK
