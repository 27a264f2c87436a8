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
from typing import TYPE_CHECKING

import wsproto
import wsproto.events

from harness.conformance.consistency import NotConsistent, await_convergence
from harness.conformance.http_client import (
    DEFAULT_ALLOWED_NETWORKS,
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
        hostname, port = split_address(self.address)
        check_destination(hostname, self.allowed_networks)
        timeout = self.timeouts.RequestTimeout
        with socket.create_connection((hostname, port), timeout=timeout) as raw:
            sock: socket.socket = raw
            if self.tls:
                sock = wrap_tls(raw, self.tls)
            ws = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
            request = HttpRequest(path=path, host=host, tls=self.tls)
            authority = host_header(request, self.address)
            scheme = "https" if self.tls else "http"
            # golang.org/x/net/websocket (upstream's echo) refuses a handshake without Origin.
            handshake = wsproto.events.Request(
                host=authority,
                target=path,
                extra_headers=[(b"origin", f"{scheme}://{authority}".encode())],
            )
            sock.sendall(ws.send(handshake))
            accepted = False
            text: list[str] = []
            while True:
                data = sock.recv(65536)
                if not data:
                    raise ConnectionError("websocket closed before the echo arrived")
                ws.receive_data(data)
                for event in ws.events():
                    if isinstance(event, wsproto.events.AcceptConnection):
                        accepted = True
                        sock.sendall(ws.send(wsproto.events.TextMessage(data=message)))
                    elif isinstance(event, wsproto.events.RejectConnection):
                        raise ConnectionError(f"websocket upgrade rejected ({event.status_code})")
                    elif isinstance(event, wsproto.events.TextMessage) and accepted:
                        text.append(event.data)
                        if event.message_finished:
                            sock.sendall(ws.send(wsproto.events.CloseConnection(code=1000)))
                            return "".join(text)


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
    api: ApiClient, server_name: str, *, secret: str, namespace: str = INFRA_NAMESPACE
) -> TlsSettings:
    """Client TLS trusting the certificate of a listener's Secret (self-signed in the base)."""
    from harness.kube.patch import read_secret

    return TlsSettings(server_name=server_name, ca_pem=read_secret(api, namespace, secret))
