"""TLS listeners without sockets: ClientHello SNI parsing, TLSRoute choice, table validation."""

from __future__ import annotations

import re
import ssl
from typing import Any

import pytest

from reference_impl.proxy.client_hello import NotClientHello, client_hello_sni
from reference_impl.proxy.routing import CompiledTable
from reference_impl.routing_table import parse


def client_hello(sni: str | None) -> bytes:
    """The real ClientHello Python's TLS client sends for this server name."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    sslobj = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    with pytest.raises(ssl.SSLWantReadError):
        sslobj.do_handshake()
    return outgoing.read()


def test_sni_is_read_from_a_real_client_hello() -> None:
    hello = client_hello("Abc.Example.com")
    assert client_hello_sni(hello) == (True, "abc.example.com")
    assert client_hello_sni(client_hello(None)) == (True, None)


def test_partial_client_hello_needs_more_bytes() -> None:
    hello = client_hello("abc.example.com")
    for cut in (1, 5, 40, len(hello) - 1):
        assert client_hello_sni(hello[:cut]) == (False, None)


def test_client_hello_split_over_records() -> None:
    hello = client_hello("split.example.com")
    payload = hello[5:]
    half = len(payload) // 2
    records = b"".join(
        b"\x16\x03\x01" + len(part).to_bytes(2, "big") + part
        for part in (payload[:half], payload[half:])
    )
    assert client_hello_sni(records[: len(records) - 3]) == (False, None)
    assert client_hello_sni(records) == (True, "split.example.com")


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x00\x04\x02\x00\x00\x00",  # a ServerHello, not a ClientHello
        b"\x17\x03\x03\x00\x01x",  # application data
    ],
)
def test_non_client_hello_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(NotClientHello):
        client_hello_sni(data)


def tls_route(
    name: str, hostnames: list[str], created: str = "2026-01-01T00:00:00Z"
) -> dict[str, Any]:
    return {
        "kind": "TLSRoute",
        "namespace": "ns",
        "name": name,
        "creationTimestamp": created,
        "hostnames": hostnames,
        "backends": [{"name": name, "weight": 1, "valid": True, "endpoints": []}],
    }


def listener(
    port: int, mode: str, routes: list[dict[str, Any]], hostname: str | None = None
) -> dict[str, Any]:
    return {
        "name": f"{mode}-{port}-{hostname}",
        "port": port,
        "protocol": "TLS",
        "hostname": hostname,
        "tls": {"mode": mode, "certificates": []},
        "routes": routes,
    }


def doc(listeners: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": 1, "gateway": {"namespace": "gw", "name": "gw"}, "listeners": listeners}


def test_tls_route_precedence_by_sni() -> None:
    t = CompiledTable(
        parse(
            doc(
                [
                    listener(
                        443,
                        "Passthrough",
                        [
                            tls_route("catch-all", []),
                            tls_route("short-wild", ["*.example.com"]),
                            tls_route("long-wild", ["*.a.example.com"]),
                            tls_route("exact", ["x.a.example.com"]),
                            tls_route("newer", ["same.test"], "2026-03-01T00:00:00Z"),
                            tls_route("older", ["same.test"], "2026-02-01T00:00:00Z"),
                        ],
                    )
                ]
            )
        )
    )
    (compiled,) = t.ports[443].listeners

    def chosen(sni: str | None) -> str | None:
        route = compiled.select_tls(sni)
        return route.name if route else None

    assert chosen("x.a.example.com") == "exact"
    assert chosen("y.a.example.com") == "long-wild"
    assert chosen("b.example.com") == "short-wild"
    assert chosen("example.com") == "catch-all"  # a wildcard needs one more label
    assert chosen("same.test") == "older"
    assert chosen(None) is None  # no SNI: never routed


def test_listener_by_sni_then_route() -> None:
    t = CompiledTable(
        parse(
            doc(
                [
                    listener(443, "Passthrough", [tls_route("w", [])], "*.example.com"),
                    listener(443, "Passthrough", [tls_route("e", [])], "abc.example.com"),
                ]
            )
        )
    )
    pl = t.ports[443]
    for sni, route in (("abc.example.com", "e"), ("x.example.com", "w")):
        compiled = pl.by_sni(sni)
        assert compiled is not None
        selected = compiled.select_tls(sni)
        assert selected is not None and selected.name == route
    assert pl.by_sni("other.test") is None


def test_passthrough_and_terminate_share_a_port_by_sni() -> None:
    t = CompiledTable(
        parse(
            doc(
                [
                    listener(443, "Passthrough", [tls_route("p", [])], "abc.example.com"),
                    listener(443, "Terminate", [tls_route("t", [])], "tls.example.com"),
                ]
            )
        )
    )
    modes = {}
    for sni in ("abc.example.com", "tls.example.com"):
        compiled = t.ports[443].by_sni(sni)
        assert compiled is not None and compiled.listener.tls is not None
        modes[sni] = compiled.listener.tls.mode
    assert modes == {"abc.example.com": "Passthrough", "tls.example.com": "Terminate"}


@pytest.mark.parametrize(
    ("listeners", "message"),
    [
        (
            [
                listener(443, "Passthrough", [], "a.test"),
                {
                    "name": "h",
                    "port": 443,
                    "protocol": "HTTPS",
                    "hostname": "b.test",
                    "tls": {"mode": "Terminate", "certificates": [{"certPem": "c", "keyPem": "k"}]},
                },
            ],
            "port 443 mixes HTTPS/Terminate, TLS/Passthrough listeners",
        ),
        (
            [
                {
                    "name": "h",
                    "port": 80,
                    "protocol": "HTTP",
                    "routes": [tls_route("r", [])],
                }
            ],
            "listeners[0].routes[0].kind: a TLSRoute cannot attach to a HTTP listener",
        ),
    ],
)
def test_bad_tls_tables_are_refused(listeners: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse(doc(listeners))
