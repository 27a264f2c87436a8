"""Traffic assertions against a loopback echo server started by the test."""

from __future__ import annotations

import dataclasses
import http.server
import json
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.conformance.certificates import certificate_authority, leaf
from harness.conformance.consistency import NotConsistent, await_convergence
from harness.conformance.http_client import (
    DestinationRefused,
    HttpRequest,
    HttpResponse,
    Redirect,
    TlsSettings,
    name_matches,
    send,
)
from harness.conformance.roundtrip import (
    ExpectedRedirect,
    ExpectedResponse,
    backend_of_pod,
    compare_round_trip,
)
from harness.conformance.timeouts import TimeoutConfig
from harness.conformance.traffic import Traffic, distribution_problem

FAST = TimeoutConfig().with_values({"DefaultPollInterval": 0.001, "MaxTimeToConsistency": 5})
NS = "gateway-conformance-infra"


class EchoState:
    """Which pod answers the n-th request, and what the server saw."""

    def __init__(self, pods: Callable[[int], str]) -> None:
        self.pods = pods
        self.count = 0
        self.connections: set[tuple[str, int]] = set()
        self.sni: list[str | None] = []
        self.lock = threading.Lock()
        self.content_type = "application/json"


def make_handler(state: EchoState) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            with state.lock:
                index = state.count
                state.count += 1
                state.connections.add(self.client_address)
            if self.path.startswith("/status/"):
                self.send_response(int(self.path.split("/")[2]))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", "https://example.org:8443/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            headers: dict[str, list[str]] = {}
            for name, value in self.headers.items():
                headers.setdefault(name, []).append(value)
            body = json.dumps(
                {
                    "path": self.path,
                    "host": self.headers.get("Host"),
                    "method": self.command,
                    "proto": self.request_version,
                    "headers": headers,
                    "namespace": NS,
                    "pod": state.pods(index),
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", state.content_type)
            for item in filter(None, (self.headers.get("X-Echo-Set-Header") or "").split(",")):
                name, _, value = item.partition(":")
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[str, EchoState]]]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(
        pods: Callable[[int], str] = lambda _: "infra-backend-v1-7c9d8f6b5-abcde",
        tls: ssl.SSLContext | None = None,
    ) -> tuple[str, EchoState]:
        state = EchoState(pods)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"127.0.0.1:{server.server_address[1]}", state

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_served_by_backend_and_fresh_connection_per_request(serve: Any) -> None:
    address, state = serve()
    traffic = Traffic(address, FAST)
    response = traffic.get("/?animal=whale", host="example.com").must_be_served_by(
        "infra-backend-v1", host="example.com"
    )
    assert response.echo is not None
    assert response.echo["path"] == "/?animal=whale"
    # X-Echo-Set-Header is always sent, empty when nothing is asked.
    assert response.echo["headers"]["X-Echo-Set-Header"] == [""]
    assert state.count == 3  # exactly RequiredConsecutiveSuccesses requests
    assert len(state.connections) == 3  # no keep-alive: one connection per request


def test_wrong_backend_fails_with_expectation_and_what_came_back(serve: Any) -> None:
    address, _ = serve(lambda _: "infra-backend-v2-5d4f-xyz12")
    quick = FAST.with_values({"MaxTimeToConsistency": 0.2})
    with pytest.raises(NotConsistent) as info:
        Traffic(address, quick).get("/").must_be_served_by("infra-backend-v1")
    message = str(info.value)
    assert "served by infra-backend-v1" in message
    assert "infra-backend-v2-5d4f-xyz12" in message
    assert "0/3" in message


def test_consistency_resets_after_a_miss(serve: Any) -> None:
    # v2 answers requests 0, 2 and 5; then only v1: the 3-in-a-row window ends at request 8.
    wrong = {0, 2, 5}
    address, state = serve(lambda i: f"infra-backend-{'v2' if i in wrong else 'v1'}-a-b")
    Traffic(address, FAST).get("/").must_be_served_by("infra-backend-v1")
    assert state.count == 9


def test_must_get_status_and_echo_set_header(serve: Any) -> None:
    address, _ = serve()
    traffic = Traffic(address, FAST)
    traffic.get("/status/404").must_get(404)
    response = traffic.get("/", echo_set_headers={"X-Backend": "set"}).must_get(
        200, response_headers={"X-Backend": "set"}, absent_response_headers=["X-Missing"]
    )
    assert response.header("x-backend") == "set"
    with pytest.raises(NotConsistent, match="expected status \\[500\\], got 404"):
        Traffic(address, FAST.with_values({"MaxTimeToConsistency": 0.1})).get(
            "/status/404"
        ).must_get(500)


def test_json_parsed_only_for_exact_content_type(serve: Any) -> None:
    address, state = serve()
    state.content_type = "application/json; charset=utf-8"
    response = send(address, HttpRequest("/"))
    assert response.status == 200 and response.echo is None
    state.content_type = "application/json"
    assert send(address, HttpRequest("/")).echo is not None


def test_redirect_location_parts(serve: Any) -> None:
    address, _ = serve()
    Traffic(address, FAST).get("/redirect").must_redirect_to(
        scheme="https", host="example.org", port="8443", path="/elsewhere"
    )
    with pytest.raises(NotConsistent, match="redirect port"):
        Traffic(address, FAST.with_values({"MaxTimeToConsistency": 0.1})).get(
            "/redirect"
        ).must_redirect_to(scheme="https", host="example.org", path="/elsewhere")


def test_https_with_sni_and_trusted_ca(serve: Any, tmp_path: Path) -> None:
    ca = certificate_authority()
    server_cert = leaf(["example.org", "*.wildcard.org"], ca)
    (tmp_path / "s.pem").write_text(server_cert.cert_pem + server_cert.key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "s.pem")
    seen: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: seen.append(name)  # type: ignore[assignment,misc,func-returns-value]
    address, _ = serve(tls=context)
    tls = TlsSettings(server_name="example.org", ca_pem=ca.cert_pem)
    Traffic(address, FAST, tls=tls).get("/", host="example.org").must_be_served_by(
        "infra-backend-v1"
    )
    Traffic(address, FAST, tls=tls).get("/", sni="a.wildcard.org").must_be_served_by(
        "infra-backend-v1"
    )
    assert seen[:3] == ["example.org"] * 3 and seen[-1] == "a.wildcard.org"
    # A CA that did not sign the server certificate is refused.
    other = TlsSettings(server_name="example.org", ca_pem=certificate_authority().cert_pem)
    with pytest.raises(ssl.SSLCertVerificationError):
        send(address, HttpRequest("/", tls=other))


def test_weighted_distribution(serve: Any) -> None:
    address, _ = serve(lambda i: ["infra-backend-v1-a-b", "infra-backend-v2-c-d"][i % 10 < 3])
    traffic = Traffic(address, FAST)
    seen = traffic.get("/").must_be_distributed(
        {"infra-backend-v1": 70, "infra-backend-v2": 30, "infra-backend-v3": 0},
        count=100,
        concurrency=1,
    )
    assert seen == {"infra-backend-v1": 70, "infra-backend-v2": 30}


def test_distribution_problem() -> None:
    wanted = {"a": 0.7, "b": 0.3}
    assert distribution_problem({"a": 70, "b": 30}, wanted, 0.05) is None
    assert "a got 0.800" in str(distribution_problem({"a": 80, "b": 20}, wanted, 0.05))
    assert "unexpected" in str(distribution_problem({"a": 70, "c": 30}, wanted, 0.05))


def test_destination_outside_allowed_networks_is_refused() -> None:
    with pytest.raises(DestinationRefused, match=r"192\.0\.2\.1"):
        send("192.0.2.1:80", HttpRequest("/"))


def echo_response(**echo: Any) -> HttpResponse:
    base = {"path": "/", "method": "GET", "host": "h", "namespace": NS, "pod": "web-backend-1-2"}
    base.update(echo)
    return HttpResponse(200, [("Content-Type", "application/json")], b"", "HTTP/1.1", echo=base)


@pytest.mark.parametrize(
    ("expected", "echo", "needle"),
    [
        (ExpectedResponse(backend="web-backend"), {}, None),
        (ExpectedResponse(backend="infra"), {}, "expected a pod of 'infra'"),
        (ExpectedResponse(namespace="other"), {}, "namespace"),
        (ExpectedResponse(path="/x"), {}, "path"),
        (ExpectedResponse(request_headers={"x-a": "1,2"}), {"headers": {"X-A": ["1", "2"]}}, None),
        (ExpectedResponse(request_headers={"x-a": "1"}), {"headers": {"X-A": ["2"]}}, "x-a"),
        (ExpectedResponse(absent_request_headers=["x-b"]), {"headers": {"X-B": ["1"]}}, "absent"),
        (ExpectedResponse(status=(404,)), {}, "expected status [404], got 200"),
    ],
)
def test_compare_round_trip(
    expected: ExpectedResponse, echo: dict[str, Any], needle: str | None
) -> None:
    echo.setdefault("headers", {})
    problem = compare_round_trip(HttpRequest("/"), expected, echo_response(**echo))
    if needle is None:
        assert problem is None
    else:
        assert problem is not None and needle in problem


def test_redirect_port_defaults() -> None:
    request = HttpRequest("/p")

    def redirect(port: str, scheme: str = "http") -> HttpResponse:
        r = HttpResponse(302, [("Location", "x")], b"", "HTTP/1.1")
        r.redirect = Redirect(scheme, "example.org", port, "/p")
        return r

    want = ExpectedResponse(status=(302,), redirect=ExpectedRedirect(host="example.org"))
    assert compare_round_trip(request, want, redirect("")) is None
    assert compare_round_trip(request, want, redirect("80")) is None
    assert compare_round_trip(request, want, redirect("8080")) is not None
    https = ExpectedResponse(status=(302,), redirect=ExpectedRedirect("https", port="443"))
    # As upstream: a port given in the expectation must appear in the Location.
    assert compare_round_trip(request, https, redirect("443", "https")) is None
    assert compare_round_trip(request, https, redirect("", "https")) is not None


def test_await_convergence_counts_and_never_sleeps_after_success() -> None:
    outcomes = iter([None, "miss", None, None, None])
    sleeps: list[float] = []
    attempts = await_convergence(lambda: next(outcomes), FAST, sleep=sleeps.append)
    assert attempts == 5
    assert sleeps == [FAST.DefaultPollInterval]


def test_backend_of_pod() -> None:
    assert backend_of_pod("infra-backend-v1-7c9d8f6b5-abcde") == "infra-backend-v1"


@pytest.mark.parametrize(
    ("pattern", "name", "ok"),
    [
        ("*.org", "example.org", True),  # Go accepts, OpenSSL alone would refuse
        ("*", "example", True),
        ("*.wildcard.org", "a.wildcard.org", True),
        ("*.wildcard.org", "wildcard.org", False),
        ("*.wildcard.org", "a.b.wildcard.org", False),
        ("abc.example.com", "ABC.example.com.", True),
        ("a*.example.com", "abc.example.com", False),
    ],
)
def test_name_matches_like_go(pattern: str, name: str, ok: bool) -> None:
    assert name_matches(pattern, name) is ok


def test_https_server_name_checked_the_go_way(serve: Any, tmp_path: Path) -> None:
    server_cert = leaf(["*", "*.org", "*.wildcard.org"])  # self-signed, like the base listener
    (tmp_path / "s.pem").write_text(server_cert.cert_pem + server_cert.key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "s.pem")
    address, _ = serve(tls=context)
    trust = TlsSettings(server_name="example.org", ca_pem=server_cert.cert_pem)
    assert send(address, HttpRequest("/", tls=trust)).status == 200
    wrong = dataclasses.replace(trust, server_name="example.com")
    with pytest.raises(ssl.SSLCertVerificationError, match="does not cover"):
        send(address, HttpRequest("/", tls=wrong))
