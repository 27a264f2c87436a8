"""Local helpers of the GRPCRoute, TLSRoute and BackendTLSPolicy scenarios."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.conformance import certificates as certs
from harness.conformance.tcp_echo import TcpEcho
from harness.conformance.timeouts import TimeoutConfig
from harness.kube.status import Condition
from suites.conformance.backendtlspolicy.policy_status import AncestorHasCondition
from suites.conformance.grpcroute.grpc_weights import weight_problem
from suites.conformance.tlsroute.tls_checks import (
    handshake_outcome,
    must_be_rejected,
    sni_problem,
)

WEIGHTS = {"v1": 70.0, "v2": 30.0, "v3": 0.0}


def test_weight_problem_accepts_shares_within_tolerance() -> None:
    assert weight_problem({"v1": 360, "v2": 140}, WEIGHTS) is None


def test_weight_problem_rejects_a_share_outside_tolerance() -> None:
    problem = weight_problem({"v1": 250, "v2": 250}, WEIGHTS)
    assert problem is not None and "v1" in problem


def test_weight_problem_rejects_any_call_to_a_weight_zero_backend() -> None:
    # 1 of 500 is within ±5 % of 0, yet upstream fails it: weight 0 means no traffic.
    problem = weight_problem({"v1": 350, "v2": 149, "v3": 1}, WEIGHTS)
    assert problem is not None and "v3" in problem


def test_weight_problem_rejects_unknown_backends() -> None:
    problem = weight_problem({"v1": 350, "v2": 140, "other": 10}, WEIGHTS)
    assert problem is not None and "other" in problem


def _echo(server_name: str | None) -> TcpEcho:
    test: dict[str, object] = {"namespace": "ns", "pod": "tcp-backend-a-b"}
    if server_name is not None:
        test["tls"] = {"serverName": server_name}
    return TcpEcho("Gateway API Test TCP Server", "PONG", "true", test)


def test_sni_problem_compares_the_backend_server_name() -> None:
    assert sni_problem(_echo("abc.example.com"), "abc.example.com") is None
    assert "other.example.com" in (sni_problem(_echo("other.example.com"), "abc.example.com") or "")
    assert sni_problem(_echo(None), "abc.example.com") is not None


def _policy(ancestors: list[dict[str, object]], generation: int = 2) -> dict[str, object]:
    return {"metadata": {"generation": generation}, "status": {"ancestors": ancestors}}


def _ancestor(name: str, *conds: tuple[str, str, str], gen: int = 2) -> dict[str, object]:
    return {
        "ancestorRef": {"name": name, "namespace": "infra"},
        "conditions": [
            {"type": t, "status": s, "reason": r, "observedGeneration": gen} for t, s, r in conds
        ],
    }


ACCEPTED = Condition("Accepted", "True", "Accepted")


def test_ancestor_condition_found_for_the_named_gateway() -> None:
    policy = _policy([_ancestor("gw", ("Accepted", "True", "Accepted"))])
    assert AncestorHasCondition("gw", "infra", ACCEPTED).check(policy) is None


def test_ancestor_condition_of_another_gateway_does_not_count() -> None:
    policy = _policy([_ancestor("other", ("Accepted", "True", "Accepted"))])
    assert "no ancestor entry" in (
        AncestorHasCondition("gw", "infra", ACCEPTED).check(policy) or ""
    )


def test_ancestor_condition_must_be_current() -> None:
    policy = _policy([_ancestor("gw", ("Accepted", "True", "Accepted"), gen=1)])
    assert "observedGeneration" in (
        AncestorHasCondition("gw", "infra", ACCEPTED).check(policy) or ""
    )


def test_ancestor_condition_with_another_reason_is_reported() -> None:
    policy = _policy([_ancestor("gw", ("Accepted", "False", "Conflicted"))])
    problem = AncestorHasCondition("gw", "infra", ACCEPTED).check(policy)
    assert problem is not None and "Conflicted" in problem


@contextmanager
def _server(handle: Callable[[socket.socket], None]) -> Iterator[str]:
    """A loopback listener handing each accepted connection to ``handle``."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)  # short, so the thread sees ``stop`` soon after the test
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(5)
            with conn:
                handle(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        thread.join(5)


def _close_after_hello(conn: socket.socket) -> None:
    conn.recv(4096)  # the ClientHello, then EOF, as a Gateway without a matching route


def _reset_after_hello(conn: socket.socket) -> None:
    conn.recv(4096)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    pair = certs.leaf(["abc.example.com"])
    folder: Path = tmp_path_factory.mktemp("cert")
    (folder / "c.pem").write_text(pair.cert_pem + pair.key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "c.pem")
    return context


def test_eof_during_handshake_is_a_rejection() -> None:
    with _server(_close_after_hello) as address:
        assert handshake_outcome(address, "non.matching.com", 5) is None


def test_reset_during_handshake_is_a_rejection() -> None:
    with _server(_reset_after_hello) as address:
        assert handshake_outcome(address, "non.matching.com", 5) is None


def test_completed_handshake_is_not_a_rejection(tls_context: ssl.SSLContext) -> None:
    def accept_tls(conn: socket.socket) -> None:
        try:
            with tls_context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except OSError:
            pass

    with _server(accept_tls) as address:
        outcome = handshake_outcome(address, "abc.example.com", 5)
    assert outcome is not None and "accepted" in outcome


def test_refused_connection_is_not_a_rejection() -> None:
    # Upstream retries a dial error; only a reset or EOF from a listening Gateway counts.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = handshake_outcome(f"127.0.0.1:{port}", "abc.example.com", 5)
    assert outcome is not None and "could not connect" in outcome


def test_must_be_rejected_fails_when_the_gateway_keeps_accepting(
    tls_context: ssl.SSLContext,
) -> None:
    def accept_tls(conn: socket.socket) -> None:
        try:
            with tls_context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except OSError:
            pass

    timeouts = TimeoutConfig(MaxTimeToConsistency=0.5, DefaultPollInterval=0.05, RequestTimeout=2)
    with _server(accept_tls) as address, pytest.raises(AssertionError, match="not rejected"):
        must_be_rejected(address, "abc.example.com", timeouts)


def test_handshake_outcome_refuses_addresses_outside_the_project() -> None:
    with pytest.raises(Exception, match=r"192\.0\.2\.1"):
        handshake_outcome("192.0.2.1:443", "abc.example.com", 1)
