"""The proxy as a process: HTTP/1.1 routing, filters, failures, timeouts, retries, swaps."""

from __future__ import annotations

import concurrent.futures
import json
import socket
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.unit.test_proxy_support import (
    EchoBackend,
    ProxyProcess,
    backend_ref,
    free_port,
    http1,
    http_listener,
    path_prefix,
    raw_exchange,
    route,
    rule,
    running,
)

pytestmark = pytest.mark.timeout(120)
GW = {"namespace": "a", "name": "b"}


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, EchoBackend]]:
    found = {n: EchoBackend(n) for n in ("v1", "v2", "v3", "mirror")}
    with running(*found.values()):
        yield found


@pytest.fixture(scope="module")
def proxy() -> Iterator[ProxyProcess]:
    p = ProxyProcess(workers=2)
    yield p
    p.stop()


@pytest.fixture
def port() -> int:
    return free_port()


def hm(kind: str, **ops: Any) -> dict[str, Any]:
    key = "requestHeaderModifier" if kind == "RequestHeaderModifier" else "responseHeaderModifier"
    body = {
        "set": [{"name": k, "value": v} for k, v in ops.get("set", {}).items()],
        "add": [{"name": k, "value": v} for k, v in ops.get("add", {}).items()],
        "remove": ops.get("remove", []),
    }
    return {"type": kind, key: body}


def test_precedence_and_header_filters_on_the_wire(
    proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int
) -> None:
    v1, v2, v3 = backends["v1"], backends["v2"], backends["v3"]
    proxy.push(
        [
            http_listener(
                port,
                [
                    route("general", [rule(0, [backend_ref(v1)])]),
                    route(
                        "specific",
                        [
                            rule(
                                0,
                                [backend_ref(v2)],
                                [path_prefix("/v2")],
                                filters=[
                                    hm(
                                        "RequestHeaderModifier",
                                        set={"X-Set": "set"},
                                        add={"X-Add": "added"},
                                        remove=["X-Remove"],
                                    ),
                                    hm(
                                        "ResponseHeaderModifier",
                                        set={"X-Resp": "r"},
                                        remove=["X-Drop"],
                                    ),
                                ],
                            ),
                            rule(
                                1,
                                [backend_ref(v3)],
                                [{"path": {"type": "Exact", "value": "/v2/exact"}}],
                            ),
                        ],
                        hostnames=["example.com"],
                    ),
                ],
            )
        ]
    )
    assert http1(port, "/anything", "other.com").json()["backend"] == "v1"
    assert http1(port, "/v2", "other.com").json()["backend"] == "v1"
    assert http1(port, "/v2/exact", "example.com").json()["backend"] == "v3"
    reply = http1(
        port,
        "/v2/x?q=1",
        "example.com:1234",
        headers=[
            ("x-set", "old"),
            ("X-Add", "orig"),
            ("X-Remove", "gone"),
            ("X-Echo-Set-Header", "X-Drop:1,X-Kept:2"),
        ],
    )
    echo = reply.json()
    assert echo["backend"] == "v2"
    assert echo["path"] == "/v2/x?q=1"
    assert echo["host"] == "example.com:1234"
    assert echo["headers"]["x-set"] == ["set"]
    assert echo["headers"]["x-add"] == ["orig", "added"]
    assert "x-remove" not in echo["headers"]
    assert (
        reply.header("X-Resp") == "r"
        and reply.header("X-Drop") is None
        and reply.header("X-Kept") == "2"
    )


def test_no_route_and_failure_statuses(
    proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int
) -> None:
    proxy.push(
        [
            http_listener(
                port,
                [
                    route(
                        "r",
                        [
                            rule(0, [], [path_prefix("/none")]),
                            rule(
                                1,
                                [backend_ref(backends["v1"], valid=False)],
                                [path_prefix("/invalid")],
                            ),
                            rule(2, [backend_ref(None)], [path_prefix("/empty")]),
                            rule(3, [backend_ref(backends["v1"])], [path_prefix("/ok")]),
                        ],
                        hostnames=["example.com"],
                    )
                ],
            )
        ]
    )
    assert http1(port, "/none").status == 500
    assert http1(port, "/invalid").status == 500
    assert http1(port, "/empty").status == 503
    assert http1(port, "/ok").status == 200
    assert http1(port, "/elsewhere").status == 404
    assert http1(port, "/ok", host="other.com").status == 404


def test_weighted_split(proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int) -> None:
    refs = [
        backend_ref(backends["v1"], weight=3),
        backend_ref(backends["v2"], weight=1),
        backend_ref(backends["v3"], weight=0),
    ]
    proxy.push([http_listener(port, [route("r", [rule(0, refs)])])])
    counts = Counter(http1(port, "/w").json()["backend"] for _ in range(400))
    assert counts["v3"] == 0
    assert abs(counts["v1"] / 400 - 0.75) < 0.08, counts


def test_redirect_and_rewrite(
    proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int
) -> None:
    redirect = {
        "type": "RequestRedirect",
        "requestRedirect": {
            "scheme": "https",
            "hostname": "example.org",
            "statusCode": 301,
            "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/new"},
        },
    }
    rewrite = {
        "type": "URLRewrite",
        "urlRewrite": {
            "hostname": "rewritten.example",
            "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"},
        },
    }
    proxy.push(
        [
            http_listener(
                port,
                [
                    route(
                        "r",
                        [
                            rule(0, [], [path_prefix("/old")], filters=[redirect]),
                            rule(
                                1,
                                [backend_ref(backends["v1"])],
                                [path_prefix("/strip")],
                                filters=[rewrite],
                            ),
                        ],
                    )
                ],
            )
        ]
    )
    reply = http1(port, "/old/page?a=b", "source.example:8080")
    assert reply.status == 301
    assert reply.header("Location") == "https://example.org/new/page?a=b"
    echo = http1(port, "/strip/three?x=y", "source.example").json()
    assert (echo["path"], echo["host"]) == ("/three?x=y", "rewritten.example")
    assert http1(port, "/strip").json()["path"] == "/"


def test_mirror_reaches_the_mirror_backend(
    proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int
) -> None:
    mirror = {
        "type": "RequestMirror",
        "requestMirror": {"backend": backend_ref(backends["mirror"])},
    }
    proxy.push(
        [
            http_listener(
                port, [route("r", [rule(0, [backend_ref(backends["v1"])], filters=[mirror])])]
            )
        ]
    )
    target = f"/mirror?request-id={time.monotonic_ns()}"
    assert http1(port, target).json()["backend"] == "v1"
    deadline = time.monotonic() + 5
    while target not in backends["mirror"].paths() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert target in backends["mirror"].paths()


def test_timeouts_answer_504(
    proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int
) -> None:
    v1 = [backend_ref(backends["v1"])]
    proxy.push(
        [
            http_listener(
                port,
                [
                    route(
                        "r",
                        [
                            rule(0, v1, [path_prefix("/request")], timeouts={"request": "200ms"}),
                            rule(
                                1,
                                v1,
                                [path_prefix("/backend")],
                                timeouts={"backendRequest": "200ms"},
                            ),
                            rule(2, v1, [path_prefix("/disabled")], timeouts={"request": "0s"}),
                        ],
                    )
                ],
            )
        ]
    )
    assert http1(port, "/request?delay=1s").status == 504
    assert http1(port, "/request").status == 200
    assert http1(port, "/backend?delay=1s").status == 504
    assert http1(port, "/disabled?delay=300ms").status == 200


def test_retries_on_codes_and_connection_errors(
    proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int
) -> None:
    v3 = [backend_ref(backends["v3"])]
    proxy.push(
        [
            http_listener(
                port,
                [
                    route(
                        "r",
                        [
                            rule(
                                0,
                                v3,
                                [path_prefix("/retry")],
                                retry={"codes": [500], "attempts": 3, "backoff": "10ms"},
                            ),
                            rule(
                                1,
                                v3,
                                [path_prefix("/conn")],
                                retry={"attempts": 3, "backoff": "10ms"},
                            ),
                            rule(2, v3, [path_prefix("/noretry")]),
                        ],
                    )
                ],
            )
        ]
    )
    key = str(time.monotonic_ns())
    assert http1(port, f"/retry?fail=2&key={key}a").status == 200
    assert http1(port, f"/retry?fail=4&key={key}b").status == 500
    assert http1(port, f"/retry?fail=2&code=503&key={key}c").status == 503
    assert http1(port, f"/conn?fail=2&code=rst&key={key}d").status == 200
    assert http1(port, f"/conn?fail=4&code=rst&key={key}e").status in (500, 503)
    assert http1(port, f"/noretry?fail=1&code=rst&key={key}f").status in (500, 503)


@pytest.mark.parametrize(
    "raw",
    [
        b"GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",
    ],
    ids=["header-name", "header-value", "cl-and-te", "two-cl", "oversized", "no-host"],
)
def test_malformed_requests_get_400_and_close(
    proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int, raw: bytes
) -> None:
    proxy.push([http_listener(port, [route("r", [rule(0, [backend_ref(backends["v1"])])])])])
    answer = raw_exchange(port, raw)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:100]
    assert answer.count(b"HTTP/1.1") == 1
    assert http1(port, "/after").status == 200


def test_keep_alive_pipelining_and_chunked_bodies(
    proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int
) -> None:
    proxy.push([http_listener(port, [route("r", [rule(0, [backend_ref(backends["v1"])])])])])
    pipelined = (
        b"GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
        b"POST /two HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        b"GET /three HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    )
    answer = raw_exchange(port, pipelined)
    assert answer.count(b"HTTP/1.1 200 ") == 3
    first, second, third = (answer.index(p) for p in (b'"/one"', b'"/two"', b'"/three"'))
    assert first < second < third
    assert b'"hello world"' in answer


def test_listeners_follow_the_table(proxy: ProxyProcess, backends: dict[str, EchoBackend]) -> None:
    a, b = free_port(), free_port()
    proxy.push([http_listener(a, [route("r", [rule(0, [backend_ref(backends["v1"])])])])])
    assert http1(a).status == 200
    proxy.push([http_listener(b, [route("r", [rule(0, [backend_ref(backends["v2"])])])])])
    assert http1(b).json()["backend"] == "v2"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", a), timeout=2).close()


def test_table_swap_under_load_fails_no_request(
    proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int
) -> None:
    def table(name: str) -> list[dict[str, Any]]:
        return [http_listener(port, [route("r", [rule(0, [backend_ref(backends[name])])])])]

    proxy.push(table("v1"))
    stop = time.monotonic() + 3

    def load() -> Counter[str]:
        seen: Counter[str] = Counter()
        while time.monotonic() < stop:
            reply = http1(port, "/load")
            seen[str(reply.status) if reply.status != 200 else reply.json()["backend"]] += 1
        return seen

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(load) for _ in range(4)]
        swaps = 0
        while time.monotonic() < stop - 0.2:
            proxy.push(table("v2" if swaps % 2 == 0 else "v1"))
            swaps += 1
        total: Counter[str] = Counter()
        for f in futures:
            total.update(f.result())
    assert swaps >= 5
    assert set(total) <= {"v1", "v2"}, total
    assert total["v1"] > 0 and total["v2"] > 0


def test_cors_preflight_on_the_wire(
    proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int
) -> None:
    cors = {
        "type": "CORS",
        "cors": {
            "allowOrigins": ["https://*.bar.com"],
            "allowMethods": ["GET", "OPTIONS"],
            "allowCredentials": True,
            "maxAge": 3600,
        },
    }
    proxy.push(
        [
            http_listener(
                port, [route("r", [rule(0, [backend_ref(backends["v1"])], filters=[cors])])]
            )
        ]
    )
    count_before = len(backends["v1"].seen)
    pre = http1(
        port,
        "/c",
        method="OPTIONS",
        headers=[("Origin", "https://www.bar.com"), ("Access-Control-Request-Method", "GET")],
    )
    assert pre.status == 204
    assert pre.header("Access-Control-Allow-Origin") == "https://www.bar.com"
    assert pre.header("Access-Control-Max-Age") == "3600"
    assert len(backends["v1"].seen) == count_before
    actual = http1(
        port,
        "/c",
        headers=[
            ("Origin", "https://www.bar.com"),
            ("X-Echo-Set-Header", "Access-Control-Allow-Origin:evil"),
        ],
    )
    assert actual.header("Access-Control-Allow-Origin") == "https://www.bar.com"
    assert actual.header("Access-Control-Allow-Credentials") == "true"
    denied = http1(port, "/c", headers=[("Origin", "https://foobar.com")])
    assert denied.status == 200 and denied.header("Access-Control-Allow-Origin") is None


def test_admin_rejects_bad_tables_and_keeps_the_old(
    proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int
) -> None:
    proxy.push([http_listener(port, [route("r", [rule(0, [backend_ref(backends["v1"])])])])])
    status, answer = proxy.admin(
        "PUT",
        "/config",
        json.dumps({"version": 99999, "gateway": GW, "listeners": [{"name": "x"}]}).encode(),
    )
    assert status == 400 and "listeners[0].port" in answer["error"]
    status, answer = proxy.admin("PUT", "/config", b"not json")
    assert status == 400
    status, answer = proxy.admin("GET", "/config")
    assert (status, answer["version"]) == (200, proxy.version)
    assert proxy.admin("GET", "/ready")[0] == 200
    old = {"version": proxy.version - 1, "gateway": GW, "listeners": []}
    assert proxy.admin("PUT", "/config", json.dumps(old).encode())[0] == 409
    assert http1(port).status == 200


def test_a_killed_worker_is_replaced_and_gets_the_table(
    proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int
) -> None:
    import psutil

    proxy.push([http_listener(port, [route("r", [rule(0, [backend_ref(backends["v1"])])])])])
    before = {c.pid for c in psutil.Process(proxy.proc.pid).children()}
    assert len(before) == 2
    victim = psutil.Process(min(before))
    victim.kill()
    victim.wait(10)
    deadline = time.monotonic() + 20
    after: set[int] = set()
    while time.monotonic() < deadline:
        after = {c.pid for c in psutil.Process(proxy.proc.pid).children()}
        if len(after) == 2 and victim.pid not in after:
            break
        time.sleep(0.1)
    assert len(after) == 2 and victim.pid not in after
    (newcomer,) = after - before

    def listens() -> bool:
        conns = psutil.Process(newcomer).net_connections(kind="tcp")
        return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in conns)

    while not listens() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert listens(), "the restarted worker never opened the listener port"
    statuses = Counter(http1(port, "/after-restart").status for _ in range(40))
    assert statuses == Counter({200: 40})
    assert proxy.admin("GET", "/config")[1]["version"] == proxy.version


def test_large_and_chunked_request_bodies_are_streamed(
    proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int
) -> None:
    proxy.push([http_listener(port, [route("r", [rule(0, [backend_ref(backends["v2"])])])])])
    big = bytes(range(256)) * 4096  # 1 MiB, above the streaming threshold
    echo = http1(port, "/big", method="POST", body=big).json()
    assert echo["body"].encode("latin-1") == big
    target = f"/streamed?id={time.monotonic_ns()}"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"POST {target} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
            + b"5\r\nhello\r\n"
        )
        deadline = time.monotonic() + 5
        while target not in backends["v2"].heads and time.monotonic() < deadline:
            time.sleep(0.02)
        # the backend saw the request while the client had not finished its body
        assert target in backends["v2"].heads
        sock.sendall(b"6\r\n world\r\n0\r\n\r\n")
        answer = b""
        while b'"body"' not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b'"body": "hello world"' in answer


def test_sigterm_drains_requests_in_flight(backends: dict[str, EchoBackend]) -> None:
    own = ProxyProcess(workers=1)
    try:
        port = free_port()
        own.push([http_listener(port, [route("r", [rule(0, [backend_ref(backends["v1"])])])])])
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            slow = pool.submit(http1, port, "/slow?delay=1s")
            deadline = time.monotonic() + 5
            while "/slow?delay=1s" not in backends["v1"].heads and time.monotonic() < deadline:
                time.sleep(0.02)
            own.proc.terminate()
            assert slow.result(timeout=15).status == 200
        assert own.proc.wait(20) == 0
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        own.stop()


def test_head_http10_and_expect_continue(
    proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int
) -> None:
    proxy.push([http_listener(port, [route("r", [rule(0, [backend_ref(backends["v1"])])])])])
    for _ in range(3):  # HEAD answers carry no body and must not poison pooled connections
        head = http1(port, "/head", method="HEAD")
        assert head.status == 200 and head.body == b""
        assert http1(port, "/after-head").json()["path"] == "/after-head"
    old = raw_exchange(port, b"GET /ten HTTP/1.0\r\nHost: a\r\n\r\n")
    assert old.startswith(b"HTTP/1.1 200 ") and b'"/ten"' in old
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /expect HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
            b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
        )
        assert sock.recv(65536).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(b"data")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 ") and b'"body": "data"' in answer
    seen = next(s for s in reversed(backends["v1"].seen) if s.target == "/expect")
    assert "expect" not in seen.headers


def test_chunked_and_close_delimited_responses_are_relayed(
    proxy: ProxyProcess, backends: dict[str, EchoBackend], port: int
) -> None:
    resp_mod = hm("ResponseHeaderModifier", set={"X-Mod": "1"})
    proxy.push(
        [
            http_listener(
                port,
                [
                    route(
                        "r",
                        [
                            rule(0, [backend_ref(backends["v1"])]),
                            rule(
                                1,
                                [backend_ref(backends["v1"])],
                                [path_prefix("/mod")],
                                filters=[resp_mod],
                            ),
                        ],
                    )
                ],
            )
        ]
    )
    for prefix in ("/plain", "/mod"):
        for framing in ("chunked", "close", "length"):
            for _ in range(2):  # the second request may reuse (or must not reuse) the connection
                reply = http1(port, f"{prefix}?framing={framing}")
                assert reply.status == 200, (prefix, framing)
                assert reply.json()["path"] == f"{prefix}?framing={framing}"
                assert (reply.header("X-Mod") == "1") == (prefix == "/mod")
    pipelined = raw_exchange(
        port,
        b"GET /p1?framing=chunked HTTP/1.1\r\nHost: a\r\n\r\n"
        b"GET /p2?framing=close HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    assert pipelined.count(b"HTTP/1.1 200 ") == 2
    assert b"Transfer-Encoding: chunked" in pipelined
