"""TLSRoute traffic checks beyond ``harness.conformance.tcp_echo``.

Two things the framework helper does not do the way upstream does: it does not
compare the SNI the backend saw (upstream's ``ExpectedResponse.Hostname``), and it
counts any failure (refused connection, certificate error) as a rejection, where
upstream accepts only a reset or an EOF from the Gateway.
"""

from __future__ import annotations

import socket
import ssl
import time
from typing import Any

from harness.conformance.http_client import (
    DEFAULT_ALLOWED_NETWORKS,
    TlsSettings,
    check_destination,
    split_address,
)
from harness.conformance.tcp_echo import TcpEcho, compare, exchange
from harness.conformance.timeouts import TimeoutConfig
from harness.kube.patch import read_config_map

INFRA_NAMESPACE = "gateway-conformance-infra"
CHECKS_CA = "tls-checks-ca-certificate"


def checks_ca(api: Any, server_name: str) -> TlsSettings:
    """Client TLS with ``server_name`` as SNI, trusting the CA of the tls-checks certificates."""
    return TlsSettings(
        server_name=server_name, ca_pem=read_config_map(api, INFRA_NAMESPACE, CHECKS_CA)
    )


def sni_problem(echo: TcpEcho, expected: str) -> str | None:
    """None when the backend's TLS session saw ``expected`` as server name."""
    seen = (echo.test.get("tls") or {}).get("serverName", "")
    if seen != expected:
        return f"backend saw SNI {seen!r}, expected {expected!r}"
    return None


def must_reach(
    address: str,
    backend: str,
    timeouts: TimeoutConfig,
    tls: TlsSettings,
    *,
    backend_sees_tls: bool,
    backend_sni: str = "",
    namespace: str = INFRA_NAMESPACE,
) -> TcpEcho:
    """A TLS exchange reaches a pod of ``backend`` (upstream's eventually-valid TCP check).

    ``backend_sni``: the server name the backend's own TLS session must report
    (passthrough keeps the client's SNI); empty means not checked.
    """
    deadline = time.monotonic() + timeouts.MaxTimeToConsistency
    problem = "no attempt finished"
    while time.monotonic() < deadline:
        try:
            echo = exchange(address, tls, timeouts.RequestTimeout)
        except (OSError, ConnectionError, ValueError) as exc:
            problem = f"{exc.__class__.__name__}: {exc}"
        else:
            problem = compare(echo, backend, namespace, backend_sees_tls) or ""
            if not problem and backend_sni:
                problem = sni_problem(echo, backend_sni) or ""
            if not problem:
                return echo
        time.sleep(timeouts.DefaultPollInterval)
    raise AssertionError(
        f"TLS (SNI {tls.server_name!r}) to {address} did not reach {backend} in {namespace} "
        f"within {timeouts.MaxTimeToConsistency:g}s: {problem}"
    )


# Errors that mean the Gateway closed or reset the connection during the handshake.
_REJECTIONS = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError, BrokenPipeError)


def handshake_outcome(address: str, server_name: str, timeout: float) -> str | None:
    """None when the Gateway rejects (reset or EOF) a TLS handshake with this SNI, else why not."""
    host, port = split_address(address)
    check_destination(host, DEFAULT_ALLOWED_NETWORKS)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # A finished handshake with anything at all means the connection was not rejected.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        raw = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        return f"could not connect: {exc.__class__.__name__}: {exc}"
    try:
        with context.wrap_socket(raw, server_hostname=server_name or None) as tls:
            return f"handshake completed ({tls.version()}); the connection was accepted"
    except _REJECTIONS:
        return None
    except OSError as exc:
        if "EOF" in str(exc) or "reset" in str(exc).lower():
            return None
        return f"handshake failed otherwise: {exc.__class__.__name__}: {exc}"
    finally:
        raw.close()


def must_be_rejected(address: str, server_name: str, timeouts: TimeoutConfig) -> None:
    """MakeTLSConnectionAndExpectEventuallyConnectionRejection: a reset or EOF comes in time."""
    deadline = time.monotonic() + timeouts.MaxTimeToConsistency
    problem = "no attempt finished"
    while time.monotonic() < deadline:
        outcome = handshake_outcome(address, server_name, timeouts.RequestTimeout)
        if outcome is None:
            return
        problem = outcome
        time.sleep(timeouts.DefaultPollInterval)
    raise AssertionError(
        f"TLS with SNI {server_name!r} to {address} was not rejected (reset or EOF) within "
        f"{timeouts.MaxTimeToConsistency:g}s; last attempt: {problem}"
    )
