"""Verdicts that must be as strict as upstream's: each broken answer here must fail."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import wsproto
import wsproto.events

from harness.conformance.consistency import NotConsistent
from harness.conformance.http_client import HttpRequest, HttpResponse, parse_location
from harness.conformance.roundtrip import (
    ExpectedRedirect,
    ExpectedResponse,
    compare_round_trip,
)
from harness.conformance.timeouts import TimeoutConfig
from harness.conformance.traffic import Traffic, distribution_problem

FAST = TimeoutConfig().with_values(
    {"DefaultPollInterval": 0.001, "MaxTimeToConsistency": 2, "RequestTimeout": 2}
)
SUITES = Path(__file__).resolve().parents[2] / "suites" / "conformance"


# --- a. weighted distribution -------------------------------------------------------


def test_any_hit_on_weight_zero_backend_fails_even_within_tolerance() -> None:
    wanted = {"v1": 0.7, "v2": 0.3, "v3": 0.0}
    # One stray request in 500 is far inside ±5 %, yet upstream fails it.
    problem = distribution_problem({"v1": 350, "v2": 149, "v3": 1}, wanted, 0.05)
    assert problem is not None and "v3 has weight 0" in problem


def test_weighted_backend_without_hits_fails_even_within_tolerance() -> None:
    wanted = {"v1": 0.97, "v2": 0.03}
    problem = distribution_problem({"v1": 500}, wanted, 0.05)
    assert problem is not None and "v2" in problem and "no requests" in problem


def test_exact_distribution_with_zero_weight_backend_unhit_passes() -> None:
    wanted = {"v1": 0.7, "v2": 0.3, "v3": 0.0}
    assert distribution_problem({"v1": 352, "v2": 148}, wanted, 0.05) is None


# --- b. redirects -------------------------------------------------------------------


def redirect_response(location: str, request: HttpRequest, address: str) -> HttpResponse:
    response = HttpResponse(302, [("Location", location)], b"", "HTTP/1.1")
    response.redirect = parse_location(location, request, address)
    return response


ADDRESS = "198.18.0.10:80"


@pytest.mark.parametrize(
    ("location", "expected", "ok"),
    [
        # An unset port: absent or the scheme's well-known port, nothing else.
        ("http://example.org/p", ExpectedRedirect(host="example.org"), True),
        ("http://example.org:80/p", ExpectedRedirect(host="example.org"), True),
        ("http://example.org:8080/p", ExpectedRedirect(host="example.org"), False),
        ("https://example.org:443/p", ExpectedRedirect("https"), True),
        ("https://example.org:80/p", ExpectedRedirect("https"), False),
        # A set port must be there, exactly: upstream refuses an absent one.
        ("https://example.org/p", ExpectedRedirect("https", port="443"), False),
        ("https://example.org:443/p", ExpectedRedirect("https", port="443"), True),
        ("http://example.org/p", ExpectedRedirect(port="80"), False),
        ("http://example.org:8083/p", ExpectedRedirect(port="8083"), True),
        ("http://example.org:8084/p", ExpectedRedirect(port="8083"), False),
        # Path only, unless the expectation carries a query.
        ("http://example.org/p?a=1", ExpectedRedirect(), True),
        ("http://example.org/q?a=1", ExpectedRedirect(path="/q"), True),
        ("http://example.org/q?a=1", ExpectedRedirect(path="/q?a=1"), True),
        ("http://example.org/q?a=2", ExpectedRedirect(path="/q?a=1"), False),
        ("http://example.org/q", ExpectedRedirect(path="/q?a=1"), False),
        ("http://example.org/other", ExpectedRedirect(), False),
        # Scheme defaults to the request's; host compared without the port.
        ("https://example.org/p", ExpectedRedirect(), False),
        ("http://other.org/p", ExpectedRedirect(host="example.org"), False),
    ],
)
def test_redirect_compared_as_upstream(location: str, expected: ExpectedRedirect, ok: bool) -> None:
    request = HttpRequest("/p?a=1")
    response = redirect_response(location, request, ADDRESS)
    problem = compare_round_trip(request, ExpectedResponse((302,), redirect=expected), response)
    assert (problem is None) is ok, problem


def test_relative_location_resolves_against_dialled_address_not_host_header() -> None:
    request = HttpRequest("/p", host="example.org")
    redirect = parse_location("/elsewhere", request, "198.18.0.10:8080")
    assert (redirect.host, redirect.port, redirect.path) == ("198.18.0.10", "8080", "/elsewhere")
    want = ExpectedResponse((302,), redirect=ExpectedRedirect(host="example.org"))
    response = redirect_response("/elsewhere", request, "198.18.0.10:8080")
    assert compare_round_trip(request, want, response) is not None


def test_location_path_is_decoded_like_go() -> None:
    redirect = parse_location("http://h/a%20b?x=%20", HttpRequest("/"), ADDRESS)
    assert (redirect.path, redirect.query) == ("/a b", "x=%20")


# --- c. CORS preflights --------------------------------------------------------------


def test_preflight_answered_by_backend_fails() -> None:
    cors = {"access-control-allow-origin": "https://www.foo.com"}
    expected = ExpectedResponse(status=(200, 204), response_headers=cors, answered_by_gateway=True)
    request = HttpRequest("/cors-1", method="OPTIONS")
    forwarded = HttpResponse(
        200, [("Content-Type", "application/json"), *cors.items()], b"", "HTTP/1.1"
    )
    forwarded.echo = {"path": "/cors-1", "pod": "infra-backend-v1-a-b", "headers": {}}
    problem = compare_round_trip(request, expected, forwarded)
    assert problem is not None and "Gateway must answer" in problem
    by_gateway = HttpResponse(204, list(cors.items()), b"", "HTTP/1.1")
    assert compare_round_trip(request, expected, by_gateway) is None


def test_cors_scenario_checks_preflights_inside_the_comparison() -> None:
    source = (SUITES / "httproute" / "test_httproute_cors.py").read_text()
    assert "answered_by_gateway=case.preflight" in source


# --- d. websocket --------------------------------------------------------------------


def _serve_ws(conn: socket.socket, mangle: Callable[[Any], Any]) -> None:
    ws = wsproto.WSConnection(wsproto.ConnectionType.SERVER)
    while True:
        data = conn.recv(65536)
        if not data:
            return
        ws.receive_data(data)
        for event in ws.events():
            if isinstance(event, wsproto.events.Request):
                conn.sendall(ws.send(wsproto.events.AcceptConnection()))
            elif isinstance(event, wsproto.events.Message):
                reply = mangle(event)
                if reply is not None:
                    conn.sendall(ws.send(reply))
            elif isinstance(event, wsproto.events.CloseConnection):
                conn.sendall(ws.send(event.response()))
                return


@contextlib.contextmanager
def ws_server(mangle: Callable[[Any], Any]) -> Iterator[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def loop() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                with contextlib.suppress(OSError):
                    _serve_ws(conn, mangle)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        listener.close()


def echo(event: Any) -> Any:
    return event


def text_only(event: Any) -> Any:
    """A broken proxy that passes text frames and drops binary ones."""
    return event if isinstance(event, wsproto.events.TextMessage) else None


def binary_as_text(event: Any) -> Any:
    """A broken proxy that turns every message into a text frame."""
    data = event.data.decode() if isinstance(event.data, bytes) else event.data
    return wsproto.events.TextMessage(data=data)


MESSAGES: list[str | bytes] = ["Websocket Support!", bytes([1, 2, 3, 4, 5, 6, 7])]


def test_websocket_text_and_binary_echo_passes() -> None:
    with ws_server(echo) as address:
        Traffic(address, FAST).must_echo_websocket("/ws", MESSAGES)


@pytest.mark.parametrize("broken", [text_only, binary_as_text])
def test_websocket_without_binary_echo_fails(broken: Callable[[Any], Any]) -> None:
    with ws_server(broken) as address, pytest.raises(NotConsistent, match="2 messages"):
        Traffic(address, FAST).must_echo_websocket("/ws", MESSAGES)


def test_websocket_scenario_echoes_both_kinds_in_the_loop() -> None:
    source = (SUITES / "httproute" / "test_httproute_backend_protocol_websocket.py").read_text()
    assert "must_echo_websocket" in source and "BINARY" in source


# --- e. TLS names are checked Go's way by the framework, no suite-local client --------


def test_no_scenario_carries_its_own_tls_client() -> None:
    assert not (SUITES / "httproute" / "go_style_tls.py").exists()
    users = [p.name for p in SUITES.rglob("*.py") if "go_style" in p.read_text()]
    assert users == []
