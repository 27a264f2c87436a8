"""Client certificates in the harness's HTTPS client: presented when asked, the server's
request for one recorded and required, and refusals told apart from answers."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from harness.conformance.certificates import KeyPair, certificate_authority, leaf
from harness.conformance.consistency import NotConsistent
from harness.conformance.http_client import TlsSettings
from harness.conformance.traffic import Traffic
from tests.unit.test_conformance_traffic import FAST, serve

__all__ = ["serve"]  # the fixture, used by name


def _server(tmp_path: Path, ca: KeyPair, mode: ssl.VerifyMode, client_ca: KeyPair) -> Any:
    pair = leaf(["example.org"], ca)
    (tmp_path / "s.pem").write_text(pair.cert_pem + pair.key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "s.pem")
    context.load_verify_locations(cadata=client_ca.cert_pem)
    context.verify_mode = mode
    return context


def _client(ca: KeyPair, client: KeyPair | None) -> TlsSettings:
    return TlsSettings(
        server_name="example.org",
        ca_pem=ca.cert_pem,
        client_cert_pem=client.cert_pem if client else "",
        client_key_pem=client.key_pem if client else "",
    )


def test_certificate_is_presented_and_missing_one_is_refused(serve: Any, tmp_path: Path) -> None:
    ca, client_ca = certificate_authority(), certificate_authority("clients")
    address, _ = serve(tls=_server(tmp_path, ca, ssl.CERT_REQUIRED, client_ca))
    good = leaf(["client"], client_ca, client=True)
    response = (
        Traffic(address, FAST, tls=_client(ca, good))
        .get("/", host="example.org")
        .must_be_served_by("infra-backend-v1")
    )
    assert response.client_certificate_requested is True
    Traffic(address, FAST, tls=_client(ca, None)).get("/").must_be_refused()
    stranger = leaf(["client"], certificate_authority("strangers"), client=True)
    Traffic(address, FAST, tls=_client(ca, stranger)).get("/").must_be_refused()


def test_a_server_that_never_asks_fails_both_checks(serve: Any, tmp_path: Path) -> None:
    ca, client_ca = certificate_authority(), certificate_authority("clients")
    address, _ = serve(tls=_server(tmp_path, ca, ssl.CERT_NONE, client_ca))
    offered = Traffic(address, FAST, tls=_client(ca, leaf(["c"], client_ca, client=True)))
    with pytest.raises((AssertionError, NotConsistent), match="never asked"):
        offered.get("/").must_be_served_by("infra-backend-v1")
    # An answer is not a refusal, whatever its status.
    with pytest.raises(AssertionError, match="must fail but was answered"):
        Traffic(address, FAST, tls=_client(ca, None)).get("/status/503").must_be_refused()
