"""GRPCRoute through the proxy process: a grpcio client, the project's gRPC echo server."""

from __future__ import annotations

import queue
import socket
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import h2.config
import h2.connection
import h2.events
import pytest

from harness.echo import BackgroundEchoServer, EchoConfig, EchoMode, PodContext
from harness.echo.grpc_proto import EchoRequest, EchoResponse
from tests.unit.test_proxy_support import (
    ProxyProcess,
    free_port,
    h2_request,
    http_listener,
    https_listener,
    make_cert,
)

pytestmark = pytest.mark.timeout(120)

SERVICE = "gateway_api_conformance.echo_basic.grpcecho.GrpcEcho"


class GrpcBackend:
    """One gRPC echo server whose pod name says which backend answered."""

    def __init__(self, pod: str) -> None:
        context = PodContext(namespace="ns", ingress="gw", service=pod, pod=pod)
        self.server = BackgroundEchoServer(
            EchoConfig(mode=EchoMode.GRPC, context=context, http_port="0", bind_host="127.0.0.1")
        )
        self.pod = pod

    @property
    def port(self) -> int:
        return self.server.ports["grpc"]


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, GrpcBackend]]:
    found = {name: GrpcBackend(name) for name in ("v1", "v2", "v3")}
    for b in found.values():
        b.server.__enter__()
    yield found
    for b in found.values():
        b.server.__exit__(None, None, None)


@pytest.fixture(scope="module")
def proxy() -> Iterator[ProxyProcess]:
    p = ProxyProcess(workers=1)
    yield p
    p.stop()


def grpc_backend(b: GrpcBackend | None, weight: int = 1, **extra: Any) -> dict[str, Any]:
    """A Backend entry (appProtocol unset: gRPC is dialled h2c anyway)."""
    return {
        "name": b.pod if b else "missing",
        "weight": weight,
        "valid": extra.get("valid", True),
        "endpoints": [{"ip": "127.0.0.1", "port": b.port}] if b else [],
        "filters": extra.get("filters", []),
    }


def method(service: str | None, name: str | None, kind: str = "Exact") -> dict[str, Any]:
    """A GRPCRouteMatch on the method only."""
    return {"method": {"type": kind, "service": service, "method": name}, "headers": []}


def grpc_rule(
    index: int,
    backends: list[dict[str, Any]],
    matches: list[dict[str, Any]] | None = None,
    filters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "index": index,
        "matches": matches or [{"method": None, "headers": []}],
        "filters": filters or [],
        "backends": backends,
    }


def grpc_route(
    name: str,
    rules: list[dict[str, Any]],
    hostnames: list[str] | None = None,
    created: str = "2026-01-01T00:00:00Z",
) -> dict[str, Any]:
    return {
        "kind": "GRPCRoute",
        "namespace": "ns",
        "name": name,
        "creationTimestamp": created,
        "hostnames": hostnames or [],
        "rules": rules,
    }


def call(
    port: int,
    name: str,
    metadata: list[tuple[str, str]] | None = None,
    authority: str | None = None,
    service: str = SERVICE,
) -> tuple[EchoResponse, dict[str, str]]:
    """A unary call through the proxy: (response, initial metadata)."""
    options = [("grpc.default_authority", authority)] if authority else []
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
        stub = channel.unary_unary(
            f"/{service}/{name}",
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=EchoResponse.FromString,
        )
        response, state = stub.with_call(EchoRequest(), metadata=metadata or [], timeout=10)
        return response, {k: str(v) for k, v in state.initial_metadata()}


def call_error(port: int, name: str, **kw: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(port, name, **kw)
    return caught.value


def pod(response: EchoResponse) -> str:
    return str(response.assertions.context.pod)


def test_exact_method_matching_and_unimplemented(
    proxy: ProxyProcess, backends: dict[str, GrpcBackend]
) -> None:
    port = free_port()
    proxy.push(
        [
            http_listener(
                port,
                [
                    grpc_route(
                        "exact",
                        [
                            grpc_rule(0, [grpc_backend(backends["v1"])], [method(SERVICE, "Echo")]),
                            grpc_rule(
                                1, [grpc_backend(backends["v2"])], [method(SERVICE, "EchoTwo")]
                            ),
                        ],
                    )
                ],
            )
        ]
    )
    assert pod(call(port, "Echo")[0]) == "v1"
    assert pod(call(port, "EchoTwo")[0]) == "v2"
    err = call_error(port, "EchoThree")
    assert err.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "GRPCRoute" in (err.details() or "")  # the gateway answered, not a backend
    # the request reached the backend with the full method and its metadata
    response, _ = call(port, "Echo", metadata=[("x-trace", "abc")])
    assert response.assertions.fully_qualified_method == f"/{SERVICE}/Echo"
    assert ("x-trace", "abc") in {(h.key, h.value) for h in response.assertions.headers}


def test_backend_status_trailers_reach_the_client(
    proxy: ProxyProcess, backends: dict[str, GrpcBackend]
) -> None:
    port = free_port()
    proxy.push(
        [http_listener(port, [grpc_route("all", [grpc_rule(0, [grpc_backend(backends["v1"])])])])]
    )
    err = call_error(port, "EchoThree")  # the echo server answers UNIMPLEMENTED itself
    assert err.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "GRPCRoute" not in (err.details() or "")
    assert pod(call(port, "Echo")[0]) == "v1"


def test_service_only_regex_and_header_precedence(
    proxy: ProxyProcess, backends: dict[str, GrpcBackend]
) -> None:
    port = free_port()
    header_match = {
        "method": {"type": "Exact", "service": SERVICE, "method": None},
        "headers": [{"type": "Exact", "name": "X-Version", "value": "three"}],
    }
    regex = method(None, "Echo(Two)?", "RegularExpression")
    proxy.push(
        [
            http_listener(
                port,
                [
                    grpc_route(
                        "service-only",
                        [grpc_rule(0, [grpc_backend(backends["v1"])], [method(SERVICE, None)])],
                    ),
                    grpc_route(
                        "method-only",
                        [grpc_rule(0, [grpc_backend(backends["v2"])], [method(None, "EchoTwo")])],
                    ),
                    grpc_route(
                        "headers", [grpc_rule(0, [grpc_backend(backends["v3"])], [header_match])]
                    ),
                    grpc_route(
                        "regex",
                        [grpc_rule(0, [grpc_backend(backends["v2"])], [regex])],
                        ["re.test"],
                    ),
                ],
            )
        ]
    )
    # the service match has more characters than the method-only match
    assert pod(call(port, "EchoTwo")[0]) == "v1"
    # same service: the rule with a header match wins
    assert pod(call(port, "Echo", metadata=[("x-version", "three")])[0]) == "v3"
    assert pod(call(port, "Echo", metadata=[("x-version", "four")])[0]) == "v1"
    # a route with a hostname beats those without; the regex is a full match of the method
    assert pod(call(port, "EchoTwo", authority="re.test")[0]) == "v2"
    assert pod(call(port, "Echo", authority="re.test")[0]) == "v2"
    # EchoThree misses the regex and falls back to the hostname-less service match (v1 answers)
    err = call_error(port, "EchoThree", authority="re.test")
    assert err.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "GRPCRoute" not in (err.details() or "")


def test_hostnames_filters_and_weights(
    proxy: ProxyProcess, backends: dict[str, GrpcBackend]
) -> None:
    port = free_port()
    filters = [
        {
            "type": "RequestHeaderModifier",
            "requestHeaderModifier": {
                "set": [{"name": "X-Set", "value": "s"}],
                "remove": ["x-drop"],
            },
        },
        {
            "type": "ResponseHeaderModifier",
            "responseHeaderModifier": {"add": [{"name": "X-Resp", "value": "r"}]},
        },
    ]
    proxy.push(
        [
            http_listener(
                port,
                [
                    grpc_route(
                        "host-a",
                        [grpc_rule(0, [grpc_backend(backends["v1"])], filters=filters)],
                        ["a.example.com"],
                    ),
                    grpc_route(
                        "weights",
                        [
                            grpc_rule(
                                0,
                                [
                                    grpc_backend(backends["v2"], weight=1),
                                    grpc_backend(backends["v3"], weight=1),
                                    grpc_backend(backends["v1"], weight=0),
                                ],
                            )
                        ],
                        ["*.example.com"],
                    ),
                    grpc_route(
                        "broken",
                        [grpc_rule(0, [grpc_backend(backends["v1"], valid=False)])],
                        ["broken.test"],
                    ),
                ],
            )
        ]
    )
    response, initial = call(
        port, "Echo", metadata=[("x-drop", "1"), ("x-keep", "1")], authority="a.example.com"
    )
    seen = {(h.key, h.value) for h in response.assertions.headers}
    assert pod(response) == "v1"
    assert ("x-set", "s") in seen and ("x-keep", "1") in seen
    assert not any(k == "x-drop" for k, _ in seen)
    assert initial.get("x-resp") == "r"
    pods = {pod(call(port, "Echo", authority="b.example.com")[0]) for _ in range(30)}
    assert pods == {"v2", "v3"}
    assert call_error(port, "Echo", authority="broken.test").code() == grpc.StatusCode.UNAVAILABLE
    assert call_error(port, "Echo", authority="other.test").code() == (
        grpc.StatusCode.UNIMPLEMENTED
    )


def test_unreachable_backend_is_unavailable(proxy: ProxyProcess) -> None:
    port = free_port()
    dead = {
        "name": "dead",
        "weight": 1,
        "valid": True,
        "endpoints": [{"ip": "127.0.0.1", "port": free_port()}],
    }
    proxy.push([http_listener(port, [grpc_route("dead", [grpc_rule(0, [dead])])])])
    assert call_error(port, "Echo").code() == grpc.StatusCode.UNAVAILABLE


def test_http_requests_on_a_grpc_listener_are_not_grpc(
    proxy: ProxyProcess, backends: dict[str, GrpcBackend]
) -> None:
    port = free_port()
    proxy.push(
        [http_listener(port, [grpc_route("all", [grpc_rule(0, [grpc_backend(backends["v1"])])])])]
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reply = h2_request(sock, "example.com", "/")
    assert reply.status == 404  # not gRPC: matched against HTTPRoutes only (there are none)


class H2Recorder:
    """A bare HTTP/2 server that records request headers and answers trailers-only OK."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.seen: list[dict[str, str]] = []
        self.arrived = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self._one(conn)

    def _one(self, conn: socket.socket) -> None:
        h2conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        h2conn.initiate_connection()
        conn.sendall(h2conn.data_to_send())
        conn.settimeout(5)
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            for ev in h2conn.receive_data(data):
                if isinstance(ev, h2.events.RequestReceived):
                    self.seen.append({str(n): str(v) for n, v in ev.headers})
                if isinstance(ev, h2.events.StreamEnded):
                    h2conn.send_headers(
                        ev.stream_id,
                        [
                            (":status", "200"),
                            ("content-type", "application/grpc"),
                            ("grpc-status", "0"),
                        ],
                        end_stream=True,
                    )
                    self.arrived.set()
            conn.sendall(h2conn.data_to_send())

    def close(self) -> None:
        self.sock.close()


def test_request_mirror_sends_a_grpc_copy(
    proxy: ProxyProcess, backends: dict[str, GrpcBackend]
) -> None:
    recorder = H2Recorder()
    try:
        mirror = {
            "type": "RequestMirror",
            "requestMirror": {
                "backend": {
                    "name": "mirror",
                    "weight": 1,
                    "valid": True,
                    "endpoints": [{"ip": "127.0.0.1", "port": recorder.port}],
                }
            },
        }
        port = free_port()
        proxy.push(
            [
                http_listener(
                    port,
                    [
                        grpc_route(
                            "m", [grpc_rule(0, [grpc_backend(backends["v1"])], filters=[mirror])]
                        )
                    ],
                )
            ]
        )
        assert pod(call(port, "Echo", metadata=[("x-mirror", "yes")])[0]) == "v1"
        assert recorder.arrived.wait(10)
        (copy,) = recorder.seen
        assert copy[":path"] == f"/{SERVICE}/Echo"
        assert copy["content-type"] == "application/grpc"
        assert copy["x-mirror"] == "yes"
    finally:
        recorder.close()


def test_grpc_over_https_with_alpn_h2(
    proxy: ProxyProcess, backends: dict[str, GrpcBackend]
) -> None:
    cert, key = make_cert(["grpc.example.com"])
    port = free_port()
    proxy.push(
        [
            https_listener(
                port,
                [grpc_route("tls", [grpc_rule(0, [grpc_backend(backends["v2"])])])],
                None,
                (cert, key),
                "https",
            )
        ]
    )
    credentials = grpc.ssl_channel_credentials(root_certificates=cert.encode())
    options = [("grpc.ssl_target_name_override", "grpc.example.com")]
    with grpc.secure_channel(f"127.0.0.1:{port}", credentials, options=options) as channel:
        stub = channel.unary_unary(
            f"/{SERVICE}/Echo",
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=EchoResponse.FromString,
        )
        response = stub(EchoRequest(), timeout=10)
    assert pod(response) == "v2"


class StreamingBackend:
    """A grpcio server with a bidirectional method that answers each message at once."""

    def __init__(self) -> None:
        from concurrent import futures

        def chat(requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
            for message in requests:
                yield b"echo:" + message
            context.set_trailing_metadata((("x-trailer", "done"),))

        def fail(request: bytes, context: grpc.ServicerContext) -> bytes:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "not for you")
            return b""

        handler = grpc.method_handlers_generic_handler(
            "test.Stream",
            {
                "Chat": grpc.stream_stream_rpc_method_handler(chat),
                "Fail": grpc.unary_unary_rpc_method_handler(fail),
            },
        )
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self.server.add_generic_rpc_handlers((handler,))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def stop(self) -> None:
        self.server.stop(0)


def test_bidirectional_streaming_is_relayed_frame_by_frame(proxy: ProxyProcess) -> None:
    backend = StreamingBackend()
    try:
        port = free_port()
        ref = {
            "name": "stream",
            "weight": 1,
            "valid": True,
            "endpoints": [{"ip": "127.0.0.1", "port": backend.port}],
        }
        proxy.push([http_listener(port, [grpc_route("s", [grpc_rule(0, [ref])])])])
        outbox: queue.Queue[bytes | None] = queue.Queue()

        def requests() -> Iterator[bytes]:
            while (item := outbox.get(timeout=10)) is not None:
                yield item

        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            chat = channel.stream_stream("/test.Stream/Chat")
            replies = chat(requests(), timeout=20)
            # each reply must arrive while the request stream is still open: a proxy that
            # buffered the request until its end would never answer the first message
            for word in (b"one", b"two", b"three"):
                outbox.put(word)
                assert next(replies) == b"echo:" + word
            outbox.put(None)
            assert list(replies) == []
            assert ("x-trailer", "done") in replies.trailing_metadata()
            assert replies.code() == grpc.StatusCode.OK
            fail = channel.unary_unary("/test.Stream/Fail")
            with pytest.raises(grpc.RpcError) as caught:
                fail(b"x", timeout=10)
            assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert caught.value.details() == "not for you"
    finally:
        backend.stop()
