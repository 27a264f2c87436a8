"""Process launching, exit monitoring, timers, probes, volumes and log tails of the agent."""

from __future__ import annotations

import base64
import http.server
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from harness.cluster.local.nodeagent.envresolve import ContainerConfigError
from harness.cluster.local.nodeagent.logserver import tail_lines
from harness.cluster.local.nodeagent.probes import readiness_check, resolve_port, run_check
from harness.cluster.local.nodeagent.processes import (
    ProcessMonitor,
    Scheduler,
    launch_argv,
    start_process,
)
from harness.cluster.local.nodeagent.volumes import (
    BindMount,
    container_mounts,
    ensure_mountpoint,
    prepare_volumes,
)


def test_launch_argv_enters_the_netns_and_binds_volumes_only_when_needed() -> None:
    plain = launch_argv("/run/netns/x", ["prog", "a b"], [])
    assert plain == ["nsenter", "--net=/run/netns/x", "--", "prog", "a b"]
    with_mount = launch_argv("/run/netns/x", ["prog"], [BindMount(Path("/s d"), "/etc/t")])
    assert with_mount[3:8] == ["unshare", "--mount", "--propagation", "private", "--"]
    assert "mount --bind '/s d' /etc/t" in with_mount[10]
    assert with_mount[-2:] == ["sh", "prog"]


def test_monitor_reports_exit_and_log_file_gets_output(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "c.log"
    proc = start_process(
        [sys.executable, "-c", "print('hello'); import sys; sys.exit(3)"], {}, tmp_path, log
    )
    exited = threading.Event()
    monitor = ProcessMonitor()
    monitor.watch(proc.pid, exited.set)
    assert exited.wait(10)
    assert proc.wait() == 3
    assert log.read_text() == "hello\n"
    monitor.stop()


def test_scheduler_runs_callbacks_in_time_order() -> None:
    scheduler = Scheduler()
    order: list[str] = []
    done = threading.Event()
    scheduler.call_later(0.1, lambda: (order.append("late"), done.set()))
    scheduler.call_later(0.0, lambda: order.append("early"))
    assert done.wait(5)
    assert order == ["early", "late"]
    scheduler.stop()


def test_readiness_check_from_probe_or_first_port() -> None:
    container: dict[str, Any] = {"name": "c", "ports": [{"name": "http", "containerPort": 3000}]}
    default = readiness_check(container)
    assert (default.kind, default.port, default.explicit) == ("tcp", 3000, False)
    assert readiness_check({"name": "c"}).kind == "none"
    probe = {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 2}
    explicit = readiness_check({**container, "readinessProbe": probe})
    assert (explicit.kind, explicit.port, explicit.path, explicit.period) == (
        "http",
        3000,
        "/health",
        2.0,
    )
    assert resolve_port("nope", container) is None


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/ok" else 500)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_run_check_against_real_sockets() -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        container = {"name": "c", "readinessProbe": {"httpGet": {"path": "/ok", "port": port}}}
        assert run_check(readiness_check(container), "127.0.0.1")
        container["readinessProbe"]["httpGet"]["path"] = "/bad"
        assert not run_check(readiness_check(container), "127.0.0.1")
        tcp = readiness_check({"name": "c", "ports": [{"containerPort": port}]})
        assert run_check(tcp, "127.0.0.1")
    finally:
        server.shutdown()
        server.server_close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    assert not run_check(
        readiness_check({"name": "c", "ports": [{"containerPort": closed_port}]}), "127.0.0.1"
    )


def test_secret_config_map_and_empty_dir_volumes_are_written(tmp_path: Path) -> None:
    pod = {
        "metadata": {"name": "p", "namespace": "n"},
        "spec": {
            "volumes": [
                {"name": "tls", "secret": {"secretName": "s"}},
                {"name": "cfg", "configMap": {"name": "c", "items": [{"key": "a", "path": "x/a"}]}},
                {"name": "scratch", "emptyDir": {}},
                {"name": "proj", "projected": {"sources": []}},
            ]
        },
    }
    secrets = {("n", "s"): {"data": {"tls.crt": base64.b64encode(b"CRT").decode()}}}
    maps = {("n", "c"): {"data": {"a": "A", "b": "B"}}}
    folders = prepare_volumes(
        pod,
        tmp_path,
        secrets=lambda ns, n: secrets.get((ns, n)),
        config_maps=lambda ns, n: maps.get((ns, n)),
    )
    assert set(folders) == {"tls", "cfg", "scratch"}  # projected is skipped
    assert (folders["tls"] / "tls.crt").read_bytes() == b"CRT"
    assert (folders["cfg"] / "x" / "a").read_text() == "A"
    assert not (folders["cfg"] / "b").exists()
    assert folders["scratch"].is_dir()
    mounts = container_mounts(
        {
            "volumeMounts": [
                {"name": "tls", "mountPath": "/etc/tls"},
                {"name": "proj", "mountPath": "/p"},
            ]
        },
        folders,
    )
    assert mounts == [BindMount(folders["tls"], "/etc/tls")]
    missing = {("n", "s"): None}
    with pytest.raises(ContainerConfigError, match='secret "s" not found'):
        prepare_volumes(
            pod,
            tmp_path,
            secrets=lambda ns, n: missing.get((ns, n)),
            config_maps=lambda ns, n: None,
        )


def test_missing_mount_targets_are_created_and_recorded(tmp_path: Path) -> None:
    created: list[Path] = []
    source = tmp_path / "src"
    source.mkdir()
    ensure_mountpoint(BindMount(source, str(tmp_path / "a" / "b")), created.append)
    assert created == [tmp_path / "a", tmp_path / "a" / "b"]
    assert (tmp_path / "a" / "b").is_dir()
    file_source = tmp_path / "f.txt"
    file_source.write_text("x")
    created.clear()
    ensure_mountpoint(BindMount(file_source, str(tmp_path / "c" / "f.txt")), created.append)
    assert created == [tmp_path / "c", tmp_path / "c" / "f.txt"]


def test_tail_lines() -> None:
    assert tail_lines(b"a\nb\nc\n", 2) == b"b\nc\n"
    assert tail_lines(b"a\nb\nc", 1) == b"c"
    assert tail_lines(b"a\n", 0) == b""


def test_subprocess_exit_codes_of_signals() -> None:
    from harness.cluster.local.nodeagent.pods import exit_code_of

    proc = subprocess.Popen(["sleep", "5"])
    proc.kill()
    assert exit_code_of(proc.wait()) == 137
    assert exit_code_of(2) == 2
