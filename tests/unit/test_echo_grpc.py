"""The echo server's gRPC mode, called with a real grpcio client over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from harness.echo import BackgroundEchoServer, EchoConfig, EchoMode, PodContext
from harness.echo.grpc_proto import EchoRequest, EchoResponse

pytestmark = pytest.mark.timeout(60)

SERVICE = "gateway_api_conformance.echo_basic.grpcecho.GrpcEcho"
CONTEXT = PodContext(namespace="grpc-ns", ingress="gw", service="grpc-svc", pod="grpc-infra-v1-x")


@pytest.fixture(scope="module")
def grpc_echo() -> Iterator[BackgroundEchoServer]:
    config = EchoConfig(mode=EchoMode.GRPC, context=CONTEXT, http_port="0", bind_host="127.0.0.1")
    with BackgroundEchoServer(config) as server:
        yield server


def call(
    port: int,
    method: str,
    metadata: list[tuple[str, str]] | None = None,
    options: list[tuple[str, Any]] | None = None,
) -> Any:
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=options or []) as channel:
        stub = channel.unary_unary(
            f"/{SERVICE}/{method}",
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=EchoResponse.FromString,
        )
        return stub(EchoRequest(), metadata=metadata or [], timeout=10)


def test_echo_reports_method_context_and_metadata(grpc_echo: BackgroundEchoServer) -> None:
    response = call(grpc_echo.ports["grpc"], "Echo", metadata=[("x-custom", "value-1")])
    assertions = response.assertions
    assert assertions.fully_qualified_method == f"/{SERVICE}/Echo"
    assert assertions.context.namespace == "grpc-ns"
    assert assertions.context.ingress == "gw"
    assert assertions.context.service_name == "grpc-svc"
    assert assertions.context.pod == "grpc-infra-v1-x"
    headers = {(h.key, h.value) for h in assertions.headers}
    assert ("x-custom", "value-1") in headers
    assert ("content-type", "application/grpc") in headers
    assert any(key == ":authority" for key, _ in headers)
    assert not any(key in (":path", ":method", "te") for key, _ in headers)
    assert not response.assertions.HasField("tls_assertions")


def test_echo_two_and_authority_override(grpc_echo: BackgroundEchoServer) -> None:
    response = call(
        grpc_echo.ports["grpc"],
        "EchoTwo",
        options=[("grpc.default_authority", "grpc.example.com")],
    )
    assert response.assertions.fully_qualified_method == f"/{SERVICE}/EchoTwo"
    assert response.assertions.authority == "grpc.example.com"
    assert (":authority", "grpc.example.com") in {
        (h.key, h.value) for h in response.assertions.headers
    }


def test_echo_three_is_unimplemented(grpc_echo: BackgroundEchoServer) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        call(grpc_echo.ports["grpc"], "EchoThree")
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert caught.value.details() == "method EchoThree not implemented"


def test_unknown_method_is_unimplemented(grpc_echo: BackgroundEchoServer) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        call(grpc_echo.ports["grpc"], "EchoFour")
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "EchoFour" in (caught.value.details() or "")


def test_proto_descriptor_matches_upstream_names() -> None:
    descriptor = EchoResponse.DESCRIPTOR
    assert descriptor.full_name == "gateway_api_conformance.echo_basic.grpcecho.EchoResponse"
    assertions = descriptor.fields_by_name["assertions"].message_type
    numbers = {f.name: f.number for f in assertions.fields}
    assert numbers == {
        "fully_qualified_method": 1,
        "headers": 2,
        "authority": 3,
        "context": 4,
        "tls_assertions": 5,
    }
    service = descriptor.file.services_by_name["GrpcEcho"]
    assert [m.name for m in service.methods] == ["Echo", "EchoTwo", "EchoThree"]
