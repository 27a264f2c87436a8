"""GRPCRouteNamedRouteRule: the proxy takes a table whose GRPCRoute rules carry names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.test_proxy_grpc import (
    SERVICE,
    GrpcBackend,
    call,
    grpc_backend,
    grpc_route,
    grpc_rule,
    method,
    pod,
)
from tests.unit.test_proxy_support import ProxyProcess, free_port, http_listener

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def named_rules_port() -> Iterator[int]:
    v1, v2 = GrpcBackend("v1"), GrpcBackend("v2")
    with v1.server, v2.server:
        proxy = ProxyProcess(workers=1)
        port = free_port()
        named = {**grpc_rule(0, [grpc_backend(v1)], [method(SERVICE, "Echo")]), "name": "named"}
        unnamed = grpc_rule(1, [grpc_backend(v2)], [method(SERVICE, "EchoTwo")])
        proxy.push([http_listener(port, [grpc_route("named-rules", [named, unnamed])])])
        yield port
        proxy.stop()


def test_a_named_rule_routes_like_an_unnamed_one(named_rules_port: int) -> None:
    assert pod(call(named_rules_port, "Echo")[0]) == "v1"
    assert pod(call(named_rules_port, "EchoTwo")[0]) == "v2"
