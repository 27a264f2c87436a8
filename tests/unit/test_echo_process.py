"""``python -m harness.echo`` as a process: env config, log lines, SIGTERM, bad input."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.timeout(60)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, "echo server exited early"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"echo server did not listen on {port}")


def test_process_serves_logs_and_exits_on_sigterm() -> None:
    http_port, h2c_port = free_port(), free_port()
    env = {
        **os.environ,
        "HTTP_PORT": str(http_port),
        "H2C_PORT": str(h2c_port),
        "POD_NAME": "proc-pod",
        "NAMESPACE": "proc-ns",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.echo", "--bind", "127.0.0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(http_port, proc)
        conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        conn.request("GET", "/mirrored?gateway-api-conformance-request-id=r-1")
        body = json.loads(conn.getresponse().read())
        conn.close()
        assert body["pod"] == "proc-pod"
        assert body["httpPort"] == str(http_port)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert f"Starting server, listening on port {http_port} (http)" in output
    assert (
        "Echoing back request made to /mirrored?gateway-api-conformance-request-id=r-1 "
        "to client (127.0.0.1:"
    ) in output


def test_process_bad_port_fails_with_one_clear_message() -> None:
    env = {**os.environ, "HTTP_PORT": "not-a-port"}
    result = subprocess.run(
        [sys.executable, "-m", "harness.echo", "--bind", "127.0.0.1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "HTTP_PORT='not-a-port'" in result.stderr
    assert "Traceback" not in result.stderr


def test_process_missing_certificate_names_the_variable(tmp_path: object) -> None:
    env = {
        **os.environ,
        "HTTP_PORT": str(free_port()),
        "H2C_PORT": str(free_port()),
        "HTTPS_PORT": str(free_port()),
        "TLS_SERVER_CERT": "/nonexistent/cert.pem",
        "TLS_SERVER_PRIVKEY": "/nonexistent/key.pem",
    }
    result = subprocess.run(
        [sys.executable, "-m", "harness.echo", "--bind", "127.0.0.1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "TLS_SERVER_CERT='/nonexistent/cert.pem'" in result.stderr
    assert "Traceback" not in result.stderr
