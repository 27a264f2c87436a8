"""TLS listeners through the proxy process: Passthrough by SNI, Terminate, backend TLS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.test_proxy_support import ProxyProcess, free_port
from tests.unit.test_proxy_tls_support import (
    Issued,
    TcpPod,
    TestCA,
    rejected,
    talk,
    tcp_backend,
    tls_listener,
    tls_route,
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


@pytest.fixture(scope="module")
def pods(ca: TestCA) -> Iterator[dict[str, TcpPod]]:
    found = {
        "a": TcpPod("pod-a", ca.issue(["abc.example.com"], ["spiffe://abc.example.com/test"])),
        "b": TcpPod("pod-b", ca.issue(["*.wild.test"])),
    }
    for pod in found.values():
        pod.__enter__()
    yield found
    for pod in found.values():
        pod.__exit__()


@pytest.fixture(scope="module")
def proxy() -> Iterator[ProxyProcess]:
    p = ProxyProcess(workers=1)
    yield p
    p.stop()


def test_passthrough_routes_by_sni_and_rejects_unknown_names(
    proxy: ProxyProcess, pods: dict[str, TcpPod], ca: TestCA
) -> None:
    port = free_port()
    a, b = pods["a"], pods["b"]
    proxy.push(
        [
            tls_listener(
                port,
                "Passthrough",
                [
                    tls_route("exact", ["abc.example.com"], [tcp_backend("a", a.tls)]),
                    tls_route("wild", ["*.wild.test"], [tcp_backend("b", b.tls)]),
                    tls_route("broken", ["broken.test"], [tcp_backend("x", a.tls, valid=False)]),
                ],
            )
        ]
    )
    # the backend terminates TLS itself: the client verifies the backend's own certificate
    exact = talk(port, "abc.example.com", ca.pem)
    assert exact.is_tls and exact.payload["pod"] == "pod-a"
    assert exact.payload["tls"]["serverName"] == "abc.example.com"
    wild = talk(port, "x.wild.test", ca.pem)
    assert wild.is_tls and wild.payload["pod"] == "pod-b"
    assert not rejected(port, "abc.example.com")  # the check below can tell the difference
    assert rejected(port, "unknown.test")
    assert rejected(port, None)
    assert rejected(port, "broken.test")


def test_passthrough_listener_hostnames_and_weights(
    proxy: ProxyProcess, pods: dict[str, TcpPod], ca: TestCA
) -> None:
    port = free_port()
    a, b = pods["a"], pods["b"]
    proxy.push(
        [
            tls_listener(
                port,
                "Passthrough",
                [tls_route("split", [], [tcp_backend("a", a.tls), tcp_backend("b", b.tls)])],
                hostname="*.wild.test",
                name="wild",
            ),
            tls_listener(
                port,
                "Passthrough",
                [tls_route("exact", [], [tcp_backend("a", a.tls)])],
                hostname="abc.example.com",
                name="exact",
            ),
        ]
    )
    assert talk(port, "abc.example.com", ca.pem).payload["pod"] == "pod-a"
    # the wildcard listener splits its connections between both pods (not verified: pod-a's
    # certificate does not cover the name)
    seen = {talk(port, "y.wild.test", None).payload["pod"] for _ in range(24)}
    assert seen == {"pod-a", "pod-b"}
    assert rejected(port, "other.example.com")


def test_terminate_decrypts_and_forwards_plain_tcp(
    proxy: ProxyProcess, pods: dict[str, TcpPod], ca: TestCA
) -> None:
    port = free_port()
    gateway_cert = ca.issue(["term.example.com", "*.term.test"])
    proxy.push(
        [
            tls_listener(
                port,
                "Terminate",
                [tls_route("term", [], [tcp_backend("a", pods["a"].tcp)])],
                cert=gateway_cert,
            )
        ]
    )
    answer = talk(port, "term.example.com", ca.pem)  # verifies the listener's certificate
    assert not answer.is_tls
    assert answer.payload["pod"] == "pod-a"
    assert talk(port, "x.term.test", ca.pem).payload["pod"] == "pod-a"
    assert rejected(port, None)


def _reencrypt(
    proxy: ProxyProcess, pod: TcpPod, gateway_cert: Issued, tls: dict[str, object]
) -> int:
    port = free_port()
    proxy.push(
        [
            tls_listener(
                port,
                "Terminate",
                [tls_route("re", [], [tcp_backend("a", pod.tls, tls=tls)])],
                cert=gateway_cert,
            )
        ]
    )
    return port


def test_terminate_reencrypts_with_backend_tls(
    proxy: ProxyProcess, pods: dict[str, TcpPod], ca: TestCA
) -> None:
    gateway_cert = ca.issue(["term.example.com"])
    a = pods["a"]
    good = {"caPem": ca.pem, "hostname": "abc.example.com", "subjectAltNames": []}
    port = _reencrypt(proxy, a, gateway_cert, good)
    answer = talk(port, "term.example.com", ca.pem)
    assert answer.is_tls and answer.payload["pod"] == "pod-a"
    assert answer.payload["tls"]["serverName"] == "abc.example.com"  # SNI = tls.hostname

    by_uri = dict(good, subjectAltNames=[{"type": "URI", "uri": "spiffe://abc.example.com/test"}])
    port = _reencrypt(proxy, a, gateway_cert, by_uri)
    assert talk(port, "term.example.com", ca.pem).is_tls

    assert not rejected(port, "term.example.com")
    wrong_host = dict(good, hostname="other.example.com")
    assert rejected(_reencrypt(proxy, a, gateway_cert, wrong_host), "term.example.com")
    wrong_ca = dict(good, caPem=TestCA("another CA").pem)
    assert rejected(_reencrypt(proxy, a, gateway_cert, wrong_ca), "term.example.com")
    wrong_san = dict(good, subjectAltNames=[{"type": "Hostname", "hostname": "nope.example"}])
    assert rejected(_reencrypt(proxy, a, gateway_cert, wrong_san), "term.example.com")
