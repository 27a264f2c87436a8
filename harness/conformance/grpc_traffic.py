"""gRPC assertions against the echo server's GrpcEcho service (upstream's grpc helper).

grpc_traffic.call("Echo").must_be_served_by("grpc-infra-backend-v1")
grpc_traffic.call("EchoThree").must_fail_with(grpc.StatusCode.UNIMPLEMENTED)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import grpc

from harness.conformance.consistency import await_convergence
from harness.conformance.http_client import (
    DEFAULT_ALLOWED_NETWORKS,
    check_destination,
    split_address,
)
from harness.conformance.timeouts import TimeoutConfig
from harness.echo.grpc_proto import SERVICE, EchoRequest, EchoResponse

INFRA_NAMESPACE = "gateway-conformance-infra"


@dataclasses.dataclass(frozen=True)
class GrpcReply:
    """The status of one call and, when OK, the echo's assertions."""

    code: grpc.StatusCode
    details: str = ""
    method: str = ""
    authority: str = ""
    namespace: str = ""
    pod: str = ""
    headers: tuple[tuple[str, str], ...] = ()

    def summary(self) -> str:
        if self.code != grpc.StatusCode.OK:
            return f"status {self.code.name}: {self.details}"
        return (
            f"OK from pod {self.pod!r} in {self.namespace!r} for {self.method!r} "
            f"(authority {self.authority!r})"
        )

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ",".join(values) if values else None


def call_once(
    address: str,
    method: str,
    *,
    authority: str = "",
    metadata: Sequence[tuple[str, str]] = (),
    timeout: float = 10.0,
    allowed: Any = DEFAULT_ALLOWED_NETWORKS,
) -> GrpcReply:
    """One plaintext (h2c) unary call of ``GrpcEcho/<method>`` on a fresh channel."""
    host, _ = split_address(address)
    check_destination(host, allowed)
    options: list[tuple[str, Any]] = [("grpc.enable_http_proxy", 0)]
    if authority:
        options.append(("grpc.default_authority", authority))
    with grpc.insecure_channel(address, options=options) as channel:
        stub = channel.unary_unary(
            f"/{SERVICE}/{method}",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=EchoResponse.FromString,
        )
        try:
            response = stub(EchoRequest(), metadata=list(metadata) or None, timeout=timeout)
        except grpc.RpcError as exc:
            return GrpcReply(exc.code(), str(exc.details() or ""))
    assertions = response.assertions
    return GrpcReply(
        grpc.StatusCode.OK,
        method=assertions.fully_qualified_method,
        authority=assertions.authority,
        namespace=assertions.context.namespace,
        pod=assertions.context.pod,
        headers=tuple((h.key, h.value) for h in assertions.headers),
    )


def compare(
    reply: GrpcReply,
    *,
    code: grpc.StatusCode = grpc.StatusCode.OK,
    backend: str = "",
    namespace: str | None = None,
    method: str = "",
    headers: Mapping[str, str] | None = None,
    absent_headers: Sequence[str] = (),
) -> str | None:
    """Upstream's gRPC comparison (code, method, namespace, pod prefix), plus echoed headers."""
    if reply.code != code:
        return f"expected {code.name}, got {reply.summary()}"
    if code != grpc.StatusCode.OK:
        return None
    if method and reply.method != method:
        return f"backend saw method {reply.method!r}, expected {method!r}"
    if namespace is not None and reply.namespace != namespace:
        return f"served from namespace {reply.namespace!r}, expected {namespace!r}"
    if backend and not reply.pod.startswith(backend):
        return f"served by pod {reply.pod!r}, expected a pod of {backend!r}"
    for name, value in (headers or {}).items():
        seen = reply.header(name)
        if seen != value:
            return f"backend saw metadata {name}: {seen!r}, expected {value!r}"
    for name in absent_headers:
        if reply.header(name) is not None:
            return f"backend saw metadata {name}: {reply.header(name)!r}, expected it absent"
    return None


@dataclasses.dataclass
class GrpcTraffic:
    """Calls to one Gateway address (``host:port``), with eventually consistent checks."""

    address: str
    timeouts: TimeoutConfig = dataclasses.field(default_factory=TimeoutConfig)
    namespace: str = INFRA_NAMESPACE

    def call(
        self, method: str, *, authority: str = "", metadata: Mapping[str, str] | None = None
    ) -> PendingCall:
        return PendingCall(self, method, authority, tuple((metadata or {}).items()))


@dataclasses.dataclass
class PendingCall:
    """A call plus where it goes; the ``must_*`` methods assert."""

    traffic: GrpcTraffic
    method: str
    authority: str
    metadata: tuple[tuple[str, str], ...]

    def _expect(self, **expected: Any) -> GrpcReply:
        last: list[GrpcReply] = []

        def attempt() -> str | None:
            reply = call_once(
                self.traffic.address,
                self.method,
                authority=self.authority,
                metadata=self.metadata,
                timeout=self.traffic.timeouts.RequestTimeout,
            )
            last[:] = [reply]
            return compare(reply, **expected)

        what = f"gRPC {SERVICE}/{self.method} to {self.traffic.address}" + (
            f" (authority {self.authority})" if self.authority else ""
        )
        await_convergence(attempt, self.traffic.timeouts, what=what)
        return last[0]

    def must_be_served_by(
        self,
        backend: str,
        *,
        namespace: str | None = None,
        headers: Mapping[str, str] | None = None,
        absent_headers: Sequence[str] = (),
    ) -> GrpcReply:
        """OK from a pod of ``backend`` that saw this method (and these metadata)."""
        return self._expect(
            backend=backend,
            namespace=namespace or self.traffic.namespace,
            method=f"/{SERVICE}/{self.method}",
            headers=headers,
            absent_headers=absent_headers,
        )

    def must_fail_with(self, code: grpc.StatusCode) -> GrpcReply:
        """The call consistently ends with ``code`` (e.g. UNIMPLEMENTED for EchoThree)."""
        return self._expect(code=code)
