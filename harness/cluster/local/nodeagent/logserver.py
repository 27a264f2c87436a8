"""The kubelet's container log endpoint over HTTPS, so `kubectl logs` and `pods/log` work.

The API server calls `GET /containerLogs/<namespace>/<pod>/<container>` with `follow`,
`tailLines`, `limitBytes` and `previous`, presenting a client certificate signed by the cluster
CA. `timestamps`, `sinceSeconds` and `sinceTime` are accepted but the whole log is returned
(logs are plain files written by the processes, without per-line times).
"""

from __future__ import annotations

import http.server
import logging
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from harness.cluster.local.state import ClusterState

log = logging.getLogger(__name__)

# (namespace, pod, container, previous) -> the log file, or None for an unknown container
LogLocator = Callable[[str, str, str, bool], Path | None]
# (namespace, pod, container) -> True while the container may still write to its current log
LiveCheck = Callable[[str, str, str], bool]
FOLLOW_POLL_SECONDS = 0.2


def tail_lines(data: bytes, count: int) -> bytes:
    """The last `count` lines of `data` (a final line without newline counts)."""
    if count <= 0:
        return b""
    lines = data.splitlines(keepends=True)
    return b"".join(lines[-count:])


class _Handler(http.server.BaseHTTPRequestHandler):
    server: LogServer

    def log_message(self, format: str, *args: object) -> None:
        log.debug("log server: " + format, *args)

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/") if p]
        if parts == ["healthz"]:
            self._reply(200, b"ok")
            return
        if len(parts) != 4 or parts[0] != "containerLogs":
            self._reply(404, b"not found: the local node agent serves only /containerLogs")
            return
        _, namespace, pod, container = parts
        query = urllib.parse.parse_qs(url.query)

        def flag(name: str) -> bool:
            return query.get(name, ["false"])[0].lower() in ("true", "1")

        def number(name: str) -> int | None:
            value = query.get(name, [""])[0]
            return int(value) if value.lstrip("-").isdigit() else None

        path = self.server.locate(namespace, pod, container, flag("previous"))
        if path is None:
            self._reply(404, f"container {container} of pod {namespace}/{pod} not found".encode())
            return
        if flag("previous") and not path.exists():
            message = f'previous terminated container "{container}" in pod "{pod}" not found'
            self._reply(400, message.encode())
            return
        data = path.read_bytes() if path.exists() else b""
        tail = number("tailLines")
        if tail is not None:
            data = tail_lines(data, tail)
        limit = number("limitBytes")
        if limit is not None:
            data = data[:limit]
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(data)
        if flag("follow") and not flag("previous") and (limit is None or len(data) < limit):
            self._follow(
                path, namespace, pod, container, path.stat().st_size if path.exists() else 0
            )

    def _follow(self, path: Path, namespace: str, pod: str, container: str, offset: int) -> None:
        while True:
            try:
                with open(path, "rb") as f:
                    f.seek(offset)
                    chunk = f.read()
            except FileNotFoundError:
                return
            if chunk:
                offset += len(chunk)
                self.wfile.write(chunk)
                self.wfile.flush()
            elif not self.server.live(namespace, pod, container):
                return
            time.sleep(FOLLOW_POLL_SECONDS)

    def _reply(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class LogServer(http.server.ThreadingHTTPServer):
    """HTTPS on gateway_ip:kubelet port; clients must present a certificate from the cluster CA."""

    daemon_threads = True

    def __init__(self, state: ClusterState, locate: LogLocator, live: LiveCheck) -> None:
        self.locate = locate
        self.live = live
        super().__init__((state.network.gateway_ip, state.ports.kubelet), _Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(state.pki_dir / "kubelet.crt", state.pki_dir / "kubelet.key")
        context.load_verify_locations(state.pki_dir / "ca.crt")
        context.verify_mode = ssl.CERT_REQUIRED
        self.socket = context.wrap_socket(self.socket, server_side=True)

    def handle_error(self, request: object, client_address: object) -> None:
        log.debug("log server: request from %s failed", client_address, exc_info=True)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="log-server", daemon=True)
        thread.start()
        return thread
