"""Runtime pieces that need no cluster: table pushes to a real local HTTP server, store, scoping."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from reference_impl.controller import examples as ex
from reference_impl.controller.compute import compute
from reference_impl.controller.constants import GATEWAY_KEY_LABEL
from reference_impl.controller.model import snapshot_of
from reference_impl.controller.naming import gateway_hash
from reference_impl.controller.pusher import ProxyTarget, Pusher, next_version
from reference_impl.controller.runner import proxy_targets, released_gateways
from reference_impl.controller.store import ObjectStore

GW = ("infra", "gw")


class FakeProxyAdmin:
    """A real HTTP server on 127.0.0.1 recording PUT /config bodies; answers from a script."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.answers: list[int] = []
        self.in_force = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                code = owner.answers.pop(0) if owner.answers else 200
                if code == 200:
                    owner.bodies.append(body)
                version = owner.in_force if code == 409 else body["version"]
                payload = json.dumps({"version": version}).encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def admin() -> Iterator[FakeProxyAdmin]:
    server = FakeProxyAdmin()
    yield server
    server.close()


@pytest.fixture
def pusher(admin: FakeProxyAdmin) -> Iterator[Pusher]:
    instance = Pusher(admin_port=admin.port, timeout=2.0)
    instance.start()
    yield instance
    instance.stop()


def eventually(probe: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"condition not met within {timeout}s")


TABLE = {"gateway": {"namespace": "infra", "name": "gw"}, "listeners": []}
POD = ProxyTarget("uid-1", "127.0.0.1")


def test_table_is_pushed_with_a_version(admin: FakeProxyAdmin, pusher: Pusher) -> None:
    pusher.update({GW: TABLE}, {GW: [POD]})
    eventually(lambda: admin.bodies)
    body = admin.bodies[0]
    assert body["gateway"] == TABLE["gateway"]
    assert body["version"] == pusher.version_of(GW)
    assert eventually(lambda: pusher.delivered("uid-1")) == body["version"]


def test_unchanged_table_is_not_pushed_again_changed_one_gets_a_higher_version(
    admin: FakeProxyAdmin, pusher: Pusher
) -> None:
    pusher.update({GW: TABLE}, {GW: [POD]})
    eventually(lambda: pusher.delivered("uid-1"))
    pusher.update({GW: dict(TABLE)}, {GW: [POD]})
    time.sleep(0.2)
    assert len(admin.bodies) == 1
    changed = {**TABLE, "listeners": [{"name": "http", "port": 80}]}
    pusher.update({GW: changed}, {GW: [POD]})
    eventually(lambda: len(admin.bodies) == 2)
    assert admin.bodies[1]["version"] > admin.bodies[0]["version"]
    assert admin.bodies[1]["listeners"] == changed["listeners"]


def test_rejected_push_is_retried(admin: FakeProxyAdmin, pusher: Pusher) -> None:
    admin.answers = [400, 503]
    pusher.update({GW: TABLE}, {GW: [POD]})
    delivered = eventually(lambda: pusher.delivered("uid-1"))
    assert admin.answers == []
    assert delivered == admin.bodies[0]["version"]


def test_proxy_holding_a_newer_version_is_overtaken(admin: FakeProxyAdmin, pusher: Pusher) -> None:
    admin.in_force = next_version(None) + 10**9
    admin.answers = [409]
    pusher.update({GW: TABLE}, {GW: [POD]})
    delivered = eventually(lambda: pusher.delivered("uid-1"))
    assert delivered == admin.bodies[0]["version"] == admin.in_force + 1


def test_new_pod_gets_the_current_table(admin: FakeProxyAdmin, pusher: Pusher) -> None:
    pusher.update({GW: TABLE}, {GW: [POD]})
    eventually(lambda: pusher.delivered("uid-1"))
    second = ProxyTarget("uid-2", "127.0.0.1")
    pusher.update({GW: TABLE}, {GW: [POD, second]})
    eventually(lambda: pusher.delivered("uid-2"))
    assert [b["version"] for b in admin.bodies] == [pusher.version_of(GW)] * 2


def test_versions_strictly_increase() -> None:
    first = next_version(None)
    assert next_version(first) > first
    assert next_version(first + 10**9) == first + 10**9 + 1


def _pod(name: str, phase: str, ip: str | None, deleting: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": "infra",
        "uid": f"uid-{name}",
        "labels": {GATEWAY_KEY_LABEL: gateway_hash(GW)},
    }
    if deleting:
        meta["deletionTimestamp"] = "2026-11-26T03:00:00Z"
    status: dict[str, Any] = {"phase": phase}
    if ip:
        status["podIP"] = ip
    return {"kind": "Pod", "metadata": meta, "status": status}


def test_push_targets_are_running_pods_with_an_ip() -> None:
    snapshot = snapshot_of(
        [
            ex.gateway_class(),
            ex.gateway(),
            _pod("a", "Running", "198.18.0.5"),
            _pod("b", "Pending", None),
            _pod("c", "Running", "198.18.0.6", deleting=True),
        ],
        ex.NOW,
    )
    targets = proxy_targets(snapshot, compute(snapshot, "img"))
    assert targets == {GW: [ProxyTarget("uid-a/0", "198.18.0.5")]}


def test_restarted_proxy_container_is_a_new_push_target() -> None:
    pod = _pod("a", "Running", "198.18.0.5")
    pod["status"]["containerStatuses"] = [{"name": "proxy", "restartCount": 2}]
    snapshot = snapshot_of([ex.gateway_class(), ex.gateway(), pod], ex.NOW)
    targets = proxy_targets(snapshot, compute(snapshot, "img"))
    assert targets == {GW: [ProxyTarget("uid-a/2", "198.18.0.5")]}


def test_released_gateways_exclude_other_instances_classes() -> None:
    snapshot = snapshot_of(
        [
            ex.gateway_class("mine"),
            ex.gateway_class("sibling"),
            ex.gateway("served", class_name="mine"),
            ex.gateway("rejected", class_name="mine", listeners=[ex.listener("u", 53, "UDP")]),
            ex.gateway("siblings", class_name="sibling"),
            ex.gateway("foreign", class_name="absent"),
        ],
        ex.NOW,
        gateway_class_names=frozenset({"mine"}),
    )
    released = released_gateways(snapshot, compute(snapshot, "img"))
    assert released == {("infra", "rejected"), ("infra", "foreign")}


def test_store_signals_changes_and_snapshots() -> None:
    store = ObjectStore(["Gateway", "GatewayClass"])
    assert not store.all_synced()
    store.replace("GatewayClass", [ex.gateway_class()])
    store.replace("Gateway", [])
    assert store.all_synced()
    store.changed.clear()
    gw = ex.gateway()
    store.upsert("Gateway", gw)
    assert store.changed.is_set()
    store.changed.clear()
    store.upsert("Gateway", dict(gw))  # same resourceVersion: no change
    assert not store.changed.is_set()
    snapshot = store.snapshot(ex.NOW)
    assert set(snapshot.gateways) == {GW}
    assert set(snapshot.gateway_classes) == {"reference"}
    store.delete("Gateway", gw)
    assert store.changed.is_set()
    assert store.snapshot(ex.NOW).gateways == {}
