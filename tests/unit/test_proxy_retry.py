"""Retries of the proxy process against the harness echo's retry simulator (`/retry/...`).

The simulator is the one the conformance backends run (upstream echo-basic's behaviour): it
fails the first ``succeedAfter`` requests of a ``uuid`` with a TCP reset, or with
``responseCode`` after waiting ``delayRetry``, and keeps one lock over the whole handler.
"""

from __future__ import annotations

import http.client
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from harness.echo import BackgroundEchoServer, EchoConfig, PodContext
from tests.unit.test_proxy_support import (
    ProxyProcess,
    free_port,
    http1,
    http_listener,
    path_prefix,
    route,
    rule,
)

pytestmark = pytest.mark.timeout(120)

CONTEXT = PodContext(namespace="ns", ingress="", service="", pod="infra-backend-v3-abc")


@pytest.fixture(scope="module")
def echo_port() -> Iterator[int]:
    config = EchoConfig(context=CONTEXT, http_port="0", h2c_port="0", bind_host="127.0.0.1")
    with BackgroundEchoServer(config) as server:
        yield server.ports["http"]


@pytest.fixture(scope="module")
def proxy_port(echo_port: int) -> Iterator[int]:
    proxy = ProxyProcess(workers=1)
    port = free_port()
    v3 = [
        {
            "name": "infra-backend-v3",
            "weight": 1,
            "valid": True,
            "appProtocol": None,
            "endpoints": [{"ip": "127.0.0.1", "port": echo_port}],
            "filters": [],
        }
    ]
    rules: list[dict[str, Any]] = [
        rule(0, v3, [path_prefix("/retry/conn")], retry={"attempts": 3}),
        rule(
            1,
            v3,
            [path_prefix("/retry/per-try")],
            retry={"attempts": 2},
            timeouts={"backendRequest": "200ms"},
        ),
        rule(
            2,
            v3,
            [path_prefix("/retry/whole")],
            retry={"codes": [500], "attempts": 5},
            timeouts={"backendRequest": "200ms", "request": "400ms"},
        ),
        rule(3, v3, [path_prefix("/retry/none")]),
    ]
    proxy.push([http_listener(port, [route("r", rules)])])
    yield port
    proxy.stop()


def simulated(path: str, key: str, **settings: str) -> str:
    return f"{path}?{urlencode({**settings, 'uuid': key})}"


def test_connection_resets_are_retried_up_to_attempts(proxy_port: int, echo_port: int) -> None:
    ok = http1(proxy_port, simulated("/retry/conn", str(uuid.uuid4()), succeedAfter="2"))
    assert ok.status == 200
    assert ok.json()["pod"] == CONTEXT.pod
    key = str(uuid.uuid4())
    exhausted = http1(proxy_port, simulated("/retry/conn", key, succeedAfter="4"))
    assert exhausted.status in (500, 503)
    # Exactly 1 + 3 tries reached the backend: with succeedAfter=5 one more reset is left.
    direct = http.client.HTTPConnection("127.0.0.1", echo_port, timeout=10)
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        direct.request("GET", simulated("/retry/conn", key, succeedAfter="5"))
        direct.getresponse()
    direct.close()
    assert http1(echo_port, simulated("/retry/conn", key, succeedAfter="5")).status == 200


def test_a_reset_is_not_retried_without_a_retry_stanza(proxy_port: int) -> None:
    key = str(uuid.uuid4())
    assert http1(proxy_port, simulated("/retry/none", key, succeedAfter="1")).status in (500, 503)


def test_a_try_that_hits_backend_request_is_retried(proxy_port: int) -> None:
    slow_failures = {"responseCode": "500", "delayRetry": "300ms"}
    key = str(uuid.uuid4())
    answer = http1(proxy_port, simulated("/retry/per-try", key, succeedAfter="2", **slow_failures))
    assert answer.status == 200
    key = str(uuid.uuid4())
    answer = http1(proxy_port, simulated("/retry/per-try", key, succeedAfter="3", **slow_failures))
    assert answer.status == 504


def test_the_request_timeout_bounds_all_tries(proxy_port: int) -> None:
    key = str(uuid.uuid4())
    assert (
        http1(
            proxy_port, simulated("/retry/whole", key, responseCode="500", succeedAfter="1")
        ).status
        == 200
    )
    key = str(uuid.uuid4())
    started = time.monotonic()
    answer = http1(
        proxy_port,
        simulated("/retry/whole", key, responseCode="500", succeedAfter="4", delayRetry="100ms"),
    )
    elapsed = time.monotonic() - started
    assert answer.status == 504
    # The 400 ms budget ends the exchange at once, not after the fifth try.
    assert 0.35 < elapsed < 1.0, elapsed
