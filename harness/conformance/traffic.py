"""Fluent traffic assertions against a Gateway address.

    traffic.get("/?animal=whale").must_be_served_by("infra-backend-v1")
    traffic.get("/", host="foo.com").must_get(404)

Every assertion is eventually consistent (see ``consistency``) and fails with
what was expected, what came back and which backend answered.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import ipaddress
import socket
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import wsproto
import wsproto.events

from harness.conformance.consistency import NotConsistent, await_convergence
from harness.conformance.http_client import (
    DEFAULT_ALLOWED_NETWORKS,
    HandshakeRecord,
    HttpRequest,
    HttpResponse,
    TlsSettings,
    check_destination,
    host_header,
    send,
    split_address,
    wrap_tls,
)
from harness.conformance.roundtrip import (
    ExpectedRedirect,
    ExpectedResponse,
    backend_of_pod,
    compare_round_trip,
)
from harness.conformance.timeouts import TimeoutConfig

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

INFRA_NAMESPACE = "gateway-conformance-infra"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclasses.dataclass
class Traffic:
    """Sends requests to one Gateway address (``host:port``) and asserts on the answers."""

    address: str
    timeouts: TimeoutConfig = dataclasses.field(default_factory=TimeoutConfig)
    namespace: str = INFRA_NAMESPACE
    tls: TlsSettings | None = None
    allowed_networks: tuple[Network, ...] = DEFAULT_ALLOWED_NETWORKS
    # Names the test in the implementation's access logs, like upstream's per-test client.
    user_agent: str = "gateway-harness"

    def at(self, address: str, *, tls: TlsSettings | None = None) -> Traffic:
        """The same settings aimed at another address (another listener's port)."""
        return dataclasses.replace(self, address=address, tls=tls or self.tls)

    def request(
        self,
        path: str = "/",
        *,
        method: str = "GET",
        host: str = "",
        headers: Mapping[str, str] | Sequence[tuple[str, str]] = (),
        body: bytes = b"",
        protocol: str = "HTTP/1.1",
        sni: str = "",
        echo_set_headers: Mapping[str, str] | None = None,
    ) -> PendingRequest:
        """A request to assert on; ``sni`` switches to TLS with this SNI and the Traffic's CA."""
        header_items = tuple(headers.items() if isinstance(headers, Mapping) else headers)
        tls = self.tls
        if sni:
            if tls is None:
                raise ValueError(
                    "sni given but no TLS settings (CA) on this Traffic; use .at(tls=)"
                )
            tls = dataclasses.replace(tls, server_name=sni)
        req = HttpRequest(
            path=path,
            method=method,
            host=host,
            headers=header_items,
            body=body,
            protocol=protocol,
            tls=tls,
            echo_set_headers=tuple((echo_set_headers or {}).items()),
            user_agent=self.user_agent,
        )
        return PendingRequest(self, req)

    # traffic.get("/path", host=...) reads like the request it makes (method defaults to GET).
    get = request

    def send_once(self, request: HttpRequest) -> HttpResponse:
        """One exchange on a fresh connection, bounded by RequestTimeout."""
        return send(
            self.address,
            request,
            timeout=self.timeouts.RequestTimeout,
            allowed_networks=self.allowed_networks,
        )

    def websocket_echo(self, path: str, message: str, *, host: str = "") -> str:
        """Open ``ws://<gateway><path>``, send one text message, return the echoed text."""
        echoed: list[str | bytes] = []
        problem = self.websocket_round(path, [message], host=host, received=echoed)
        if problem:
            raise ConnectionError(problem)
        return str(echoed[0])

    def websocket_round(
        self,
        path: str,
        messages: Sequence[str | bytes],
        *,
        host: str = "",
        origin: str = "",
        received: list[str | bytes] | None = None,
    ) -> str | None:
        """One connection: send each message in turn, each must come back unchanged.

        Text (``str``) and binary (``bytes``) messages must come back in the same frame
        type (RFC 6455 intermediaries keep opcodes). None when all echoed, else what
        went wrong. Every echo lands in ``received`` when given.
        """
        hostname, port = split_address(self.address)
        check_destination(hostname, self.allowed_networks)
        request = HttpRequest(path=path, host=host, tls=self.tls)
        authority = host_header(request, self.address)
        scheme = "https" if self.tls else "http"
        # golang.org/x/net/websocket (upstream's echo) refuses a handshake without Origin.
        handshake = wsproto.events.Request(
            host=authority,
            target=path,
            extra_headers=[(b"origin", (origin or f"{scheme}://{authority}").encode())],
        )
        pending = list(messages)
        got = received if received is not None else []
        try:
            with socket.create_connection(
                (hostname, port), timeout=self.timeouts.RequestTimeout
            ) as raw:
                sock: socket.socket = wrap_tls(raw, self.tls) if self.tls else raw
                ws = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
                sock.sendall(ws.send(handshake))
                parts: list[str | bytes] = []
                while pending:
                    data = sock.recv(65536)
                    if not data:
                        return f"connection closed after {len(got)} of {len(messages)} echoes"
                    ws.receive_data(data)
                    for event in ws.events():
                        if isinstance(event, wsproto.events.RejectConnection):
                            return f"websocket upgrade rejected ({event.status_code})"
                        if isinstance(event, wsproto.events.AcceptConnection):
                            sock.sendall(ws.send(_ws_message(pending[0])))
                        elif isinstance(event, wsproto.events.Message):
                            parts.append(event.data)
                            if not event.message_finished:
                                continue
                            whole = _joined(parts)
                            parts.clear()
                            got.append(whole)
                            want = pending.pop(0)
                            if whole != want:
                                return f"sent {want!r}, got back {whole!r}"
                            if pending:
                                sock.sendall(ws.send(_ws_message(pending[0])))
                sock.sendall(ws.send(wsproto.events.CloseConnection(code=1000)))
        except OSError as exc:
            return f"websocket failed: {exc.__class__.__name__}: {exc}"
        return None

    def must_echo_websocket(
        self, path: str, messages: Sequence[str | bytes], *, host: str = "", origin: str = ""
    ) -> None:
        """Eventually N rounds in a row, each one connection echoing every message (upstream)."""
        kinds = ", ".join("binary" if isinstance(m, bytes) else "text" for m in messages)
        await_convergence(
            lambda: self.websocket_round(path, messages, host=host, origin=origin),
            self.timeouts,
            what=f"websocket echo of {len(messages)} messages ({kinds}) over {path}",
        )


def _ws_message(message: str | bytes) -> wsproto.events.Message[Any]:
    if isinstance(message, bytes):
        return wsproto.events.BytesMessage(data=message)
    return wsproto.events.TextMessage(data=message)


def _joined(parts: list[str | bytes]) -> str | bytes:
    """The fragments of one message, as text or bytes like its first fragment."""
    if isinstance(parts[0], str):
        return "".join(str(p) for p in parts)
    return b"".join(p for p in parts if isinstance(p, bytes))


@dataclasses.dataclass
class PendingRequest:
    """A request plus the Traffic that sends it; the ``must_*`` methods assert."""

    traffic: Traffic
    request: HttpRequest

    def expect(self, expected: ExpectedResponse) -> HttpResponse:
        """Assert ``expected`` eventually holds N times in a row; returns the last response."""
        last: list[HttpResponse] = []

        def attempt() -> str | None:
            try:
                response = self.traffic.send_once(self.request)
            except (OSError, ConnectionError, ValueError) as exc:
                return f"request failed: {exc.__class__.__name__}: {exc}"
            last[:] = [response]
            problem = compare_round_trip(self.request, expected, response)
            if problem:
                return f"{problem}\n  response: {response.summary()}"
            return None

        await_convergence(attempt, self.traffic.timeouts, what=self._what(expected))
        return last[0]

    def _what(self, expected: ExpectedResponse) -> str:
        req = self.request
        host = f" Host {req.host}" if req.host else ""
        return (
            f"{req.method} {req.scheme}://{self.traffic.address}{req.path}{host} "
            f"expecting {expected.describe()}"
        )

    def must_be_served_by(
        self, backend: str, *, namespace: str | None = None, **checks: object
    ) -> HttpResponse:
        """200 from a pod of ``backend`` (Deployment name) in ``namespace`` (default infra)."""
        expected = ExpectedResponse(
            backend=backend,
            namespace=namespace or self.traffic.namespace,
            **checks,  # type: ignore[arg-type]
        )
        return self.expect(expected)

    def must_get(self, *status: int, **checks: object) -> HttpResponse:
        """One of ``status``; a 200/204 must come from the Traffic's namespace."""
        namespace = checks.pop("namespace", self.traffic.namespace)
        expected = ExpectedResponse(status=status, namespace=namespace, **checks)  # type: ignore[arg-type]
        return self.expect(expected)

    def must_redirect_to(
        self,
        *,
        status: int = 302,
        scheme: str = "",
        host: str = "",
        port: str = "",
        path: str = "",
    ) -> HttpResponse:
        """A redirect whose Location has these parts (unset: upstream's defaults)."""
        expected = ExpectedResponse(
            status=(status,), redirect=ExpectedRedirect(scheme, host, port, path)
        )
        return self.expect(expected)

    def must_fail(self) -> None:
        """N consecutive non-200 answers (408/504 do not count); a 200 fails at once."""

        def attempt() -> str | None:
            try:
                response = self.traffic.send_once(self.request)
            except (OSError, ConnectionError) as exc:
                del exc  # a refused or reset connection is a failure, as wanted
                return None
            if response.status == 200:
                raise AssertionError(
                    f"{self.request.method} {self.request.path} succeeded but must fail: "
                    f"{response.summary()}"
                )
            if response.status in (408, 504):
                return f"status {response.status} (a timeout, not a refusal)"
            return None

        await_convergence(attempt, self.traffic.timeouts, what=f"{self.request.path} failing")

    def must_be_refused(self) -> None:
        """One request that must get no HTTP answer at all (a failed handshake or a closed
        connection), as upstream's TLS failure check; an offered client certificate must
        still have been asked for."""
        record = HandshakeRecord()
        traffic = self.traffic
        try:
            response = send(
                traffic.address,
                self.request,
                timeout=traffic.timeouts.RequestTimeout,
                allowed_networks=traffic.allowed_networks,
                record=record,
            )
        except (OSError, ConnectionError):
            response = None
        if response is not None:
            raise AssertionError(
                f"{self.request.method} {self.request.path} to {traffic.address} must fail "
                f"but was answered: {response.summary()}"
            )
        tls = self.request.tls
        if tls is not None and tls.client_cert_pem and not record.certificate_requested:
            raise AssertionError(
                f"the Gateway at {traffic.address} never asked for the client certificate"
            )

    def distribution(self, count: int = 500, concurrency: int = 10) -> dict[str, int]:
        """Backend (pod name minus its last two segments) → answers, over ``count`` requests.

        Any failed request raises: a weighted test cannot judge a partial sample.
        """
        if count < 1 or concurrency < 1:
            raise ValueError("count and concurrency must be at least 1")

        def one(index: int) -> str:
            # A unique query keeps intermediaries from answering from a cache.
            sep = "&" if "?" in self.request.path else "?"
            req = dataclasses.replace(
                self.request, path=f"{self.request.path}{sep}gwh-request={index}"
            )
            response = self.traffic.send_once(req)
            if response.status != 200 or not response.pod:
                raise AssertionError(f"weighted request {index}: {response.summary()}")
            return backend_of_pod(response.pod)

        with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
            return dict(collections.Counter(pool.map(one, range(count))))

    def must_be_distributed(
        self,
        weights: Mapping[str, float],
        *,
        tolerance: float = 0.05,
        count: int = 500,
        concurrency: int = 10,
        attempts: int = 10,
    ) -> dict[str, int]:
        """Shares per backend within ``tolerance`` of ``weights`` (normalised), as upstream."""
        total = sum(weights.values())
        if total <= 0:
            raise ValueError("weights must add up to more than zero")
        wanted = {name: w / total for name, w in weights.items()}
        problem: str | None = "no attempt made"
        for _ in range(max(1, attempts)):
            try:
                seen = self.distribution(count, concurrency)
            except (AssertionError, OSError, ConnectionError) as exc:
                problem = str(exc)
                continue
            problem = distribution_problem(seen, wanted, tolerance)
            if problem is None:
                return seen
        raise NotConsistent(
            f"traffic to {self.request.path} was not distributed as {wanted} "
            f"(±{tolerance}) in {attempts} attempts: {problem}"
        )


def distribution_problem(
    seen: Mapping[str, int], wanted: Mapping[str, float], tolerance: float
) -> str | None:
    """None when every backend's share is within ``tolerance`` of its wanted share."""
    total = sum(seen.values())
    if total == 0:
        return "no responses"
    unknown = sorted(set(seen) - set(wanted))
    if unknown:
        return f"answers from unexpected backends {unknown}: {dict(seen)}"
    # As upstream, the set of backends that answered must be exactly those with a
    # positive weight: a hit on a weight-0 backend, or none on a weighted one, fails
    # outright whatever the tolerance.
    for name, share in wanted.items():
        hits = seen.get(name, 0)
        if share == 0 and hits > 0:
            return f"{name} has weight 0 but answered {hits} of {total} requests: {dict(seen)}"
        if share > 0 and hits == 0:
            return f"{name} has weight {share:.3f} but received no requests: {dict(seen)}"
    for name, share in wanted.items():
        got = seen.get(name, 0) / total
        if abs(got - share) > tolerance:
            return f"{name} got {got:.3f} of {total} requests, expected {share:.3f}: {dict(seen)}"
    return None


def unique_path(path: str) -> str:
    """``path`` with a unique request id, so a backend's log line is this request's alone."""
    sep = "&" if "?" in path else "?"
    return f"{path}{sep}gateway-api-conformance-request-id={uuid.uuid4()}"


def tls_for(
    api: ApiClient,
    server_name: str,
    *,
    secret: str,
    namespace: str = INFRA_NAMESPACE,
    client_secret: str | None = None,
) -> TlsSettings:
    """Client TLS trusting the certificate of a listener's Secret (self-signed in the base),
    presenting the certificate and key of ``client_secret`` when the server asks for one."""
    from harness.kube.patch import read_secret

    client_cert = client_key = ""
    if client_secret is not None:
        client_cert = read_secret(api, namespace, client_secret)
        client_key = read_secret(api, namespace, client_secret, key="tls.key")
        if not client_cert or not client_key:
            raise AssertionError(f"Secret {namespace}/{client_secret} lacks tls.crt or tls.key")
    return TlsSettings(
        server_name=server_name,
        ca_pem=read_secret(api, namespace, secret),
        client_cert_pem=client_cert,
        client_key_pem=client_key,
    )
