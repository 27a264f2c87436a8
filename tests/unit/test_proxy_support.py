"""Fixtures for the proxy tests: loopback echo backends, the proxy as a subprocess, clients.

No tests live here; the test_proxy_* modules import it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import h2.config
import h2.connection
import h2.events
import wsproto
import wsproto.events

from reference_impl.routing_table import parse_duration

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ backends


@dataclass
class Seen:
    """One request a backend received."""

    method: str
    target: str
    host: str
    headers: dict[str, list[str]]
    body: bytes


@dataclass
class EchoBackend:
    """An HTTP/1.1 echo server on a loopback port, served by a thread's event loop."""

    name: str
    port: int = field(default_factory=free_port)
    seen: list[Seen] = field(default_factory=list)
    fail_counts: dict[str, int] = field(default_factory=dict)
    heads: list[str] = field(default_factory=list)  # request-targets as soon as a head arrives
    h2c: bool = False

    def _answer(self, seen: Seen) -> tuple[int, list[tuple[str, str]], bytes, float, bool]:
        """(status, headers, body, delay, reset) for a request."""
        url = urlsplit(seen.target)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        delay = parse_duration(query["delay"], "delay") if "delay" in query else 0.0
        status = 200
        if url.path.startswith("/status/"):
            status = int(url.path.split("/")[2])
        if "fail" in query:
            key = query.get("key", "")
            count = self.fail_counts.get(key, 0)
            self.fail_counts[key] = count + 1
            if count < int(query["fail"]):
                if query.get("code") == "rst":
                    return 0, [], b"", delay, True
                status = int(query.get("code", "500"))
        headers = [("Content-Type", "application/json")]
        for item in ",".join(seen.headers.get("x-echo-set-header", [])).split(","):
            if ":" in item:
                n, _, v = item.partition(":")
                headers.append((n.strip(), v.strip()))
        body = json.dumps(
            {
                "backend": self.name,
                "method": seen.method,
                "path": seen.target,
                "host": seen.host,
                "headers": seen.headers,
                "body": seen.body.decode("latin-1"),
                "pad": "x" * int(query.get("pad", "0")),
            }
        ).encode()
        return status, headers, body, delay, False

    async def _serve_h1(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers: dict[str, list[str]] = {}
                for line in lines[1:]:
                    if ":" in line:
                        n, _, v = line.partition(":")
                        headers.setdefault(n.strip().lower(), []).append(v.strip())
                self.heads.append(target)
                body = b""
                if "content-length" in headers:
                    body = await reader.readexactly(int(headers["content-length"][0]))
                elif headers.get("transfer-encoding", [""])[0].lower() == "chunked":
                    while True:
                        size = int((await reader.readline()).strip() or b"0", 16)
                        chunk = await reader.readexactly(size + 2)
                        body += chunk[:-2]
                        if size == 0:
                            break
                seen = Seen(method, target, headers.get("host", [""])[0], headers, body)
                self.seen.append(seen)
                if headers.get("upgrade", [""])[0].lower() == "websocket":
                    await self._websocket(seen, reader, writer)
                    return
                status, out, payload, delay, reset = self._answer(seen)
                if delay:
                    await asyncio.sleep(delay)
                if reset:
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    writer.transport.abort()
                    return
                text = f"HTTP/1.1 {status} X\r\n" + "".join(f"{n}: {v}\r\n" for n, v in out)
                if method == "HEAD":
                    payload = b""
                framing = parse_qs(urlsplit(target).query).get("framing", [""])[0]
                if framing == "chunked":
                    half = len(payload) // 2
                    parts = (payload[:half], payload[half:], b"")
                    framed = b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in parts)
                    writer.write(f"{text}Transfer-Encoding: chunked\r\n\r\n".encode() + framed)
                elif framing == "close":
                    writer.write(f"{text}Connection: close\r\n\r\n".encode() + payload)
                    await writer.drain()
                    return
                else:
                    writer.write(f"{text}Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
                await writer.drain()
        finally:
            writer.close()

    async def _websocket(
        self, seen: Seen, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        ws = wsproto.WSConnection(wsproto.ConnectionType.SERVER)
        raw = f"{seen.method} {seen.target} HTTP/1.1\r\n" + "".join(
            f"{n}: {v}\r\n" for n, vs in seen.headers.items() for v in vs
        )
        ws.receive_data(raw.encode() + b"\r\n")
        for ev in ws.events():
            if isinstance(ev, wsproto.events.Request):
                writer.write(ws.send(wsproto.events.AcceptConnection()))
        while True:
            data = await reader.read(65536)
            if not data:
                return
            ws.receive_data(data)
            for ev in ws.events():
                if isinstance(ev, wsproto.events.TextMessage):
                    writer.write(ws.send(wsproto.events.TextMessage(data="echo:" + ev.data)))
                elif isinstance(ev, wsproto.events.BytesMessage):
                    writer.write(ws.send(wsproto.events.BytesMessage(data=bytes(ev.data))))
                elif isinstance(ev, wsproto.events.CloseConnection):
                    writer.write(ws.send(ev.response()))
                    return
            await writer.drain()

    async def _serve_h2c(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        streams: dict[int, tuple[dict[str, list[str]], bytearray]] = {}
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    return
                for ev in conn.receive_data(data):
                    if isinstance(ev, h2.events.RequestReceived):
                        hdrs: dict[str, list[str]] = {}
                        for n, v in ev.headers:
                            hdrs.setdefault(str(n), []).append(str(v))
                        streams[ev.stream_id] = (hdrs, bytearray())
                    elif isinstance(ev, h2.events.DataReceived):
                        streams[ev.stream_id][1].extend(ev.data)
                        conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    elif isinstance(ev, h2.events.StreamEnded):
                        hdrs, body = streams.pop(ev.stream_id)
                        seen = Seen(
                            hdrs[":method"][0],
                            hdrs[":path"][0],
                            hdrs[":authority"][0],
                            hdrs,
                            bytes(body),
                        )
                        seen.headers["x-protocol"] = ["h2c"]
                        self.seen.append(seen)
                        status, out, payload, _, _ = self._answer(seen)
                        conn.send_headers(
                            ev.stream_id,
                            [(":status", str(status)), *((n.lower(), v) for n, v in out)],
                        )
                        conn.send_data(ev.stream_id, payload)
                        conn.send_headers(ev.stream_id, [("x-trailer", "done")], end_stream=True)
                writer.write(conn.data_to_send())
                await writer.drain()
        finally:
            writer.close()

    def start(self) -> EchoBackend:
        """Serve from a daemon thread."""
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            handler = self._serve_h2c if self.h2c else self._serve_h1
            server = loop.run_until_complete(asyncio.start_server(handler, "127.0.0.1", self.port))
            self._server = server
            ready.set()
            loop.run_forever()
            server.close()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def paths(self) -> list[str]:
        """Request-targets received so far."""
        return [s.target for s in list(self.seen)]


# --------------------------------------------------------------------- proxy


class ProxyProcess:
    """`python -m reference_impl.proxy` on loopback with an admin port."""

    def __init__(self, workers: int = 2, admin_port: int | None = None) -> None:
        self.admin_port = admin_port or free_port()
        self.version = 0
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reference_impl.proxy",
                "--admin-address",
                f"127.0.0.1:{self.admin_port}",
                "--workers",
                str(workers),
                "--listen-address",
                "127.0.0.1",
            ],
            cwd=REPO,
            env=env,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                self.admin("GET", "/config")
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("the proxy did not start") from None
                time.sleep(0.05)

    def admin(
        self, method: str, path: str, body: bytes | None = None
    ) -> tuple[int, dict[str, Any]]:
        """One admin request: (status, JSON body)."""
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.admin_port}{path}", data=body, method=method
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def push(self, listeners: list[dict[str, Any]]) -> int:
        """Push a table with these listeners; returns its version."""
        self.version += 1
        doc = {
            "version": self.version,
            "gateway": {"namespace": "gw", "name": "gw"},
            "listeners": listeners,
        }
        status, answer = self.admin("PUT", "/config", json.dumps(doc).encode())
        assert status == 200, answer
        return self.version

    def stop(self) -> None:
        """Terminate the proxy and its workers."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextlib.contextmanager
def running(*backends: EchoBackend) -> Iterator[None]:
    """Start backends for the block."""
    for b in backends:
        b.start()
    try:
        yield
    finally:
        for b in backends:
            b.stop()


# ------------------------------------------------------------- table builders


def backend_ref(
    b: EchoBackend | None, name: str = "", weight: int = 1, **extra: Any
) -> dict[str, Any]:
    """A Backend entry pointing at an echo backend (None: no endpoints)."""
    return {
        "name": name or (b.name if b else "none"),
        "weight": weight,
        "valid": extra.get("valid", True),
        "appProtocol": extra.get("appProtocol"),
        "endpoints": [{"ip": "127.0.0.1", "port": b.port}] if b else [],
        "filters": extra.get("filters", []),
    }


def rule(
    index: int,
    backends: list[dict[str, Any]],
    matches: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A Rule entry."""
    return {"index": index, "matches": matches or [], "backends": backends, **extra}


def path_prefix(value: str) -> dict[str, Any]:
    """A PathPrefix match."""
    return {"path": {"type": "PathPrefix", "value": value}}


def route(
    name: str, rules: list[dict[str, Any]], hostnames: list[str] | None = None
) -> dict[str, Any]:
    """An HTTPRoute entry."""
    return {
        "kind": "HTTPRoute",
        "namespace": "ns",
        "name": name,
        "creationTimestamp": "2026-01-01T00:00:00Z",
        "hostnames": hostnames or [],
        "rules": rules,
    }


def http_listener(
    port: int, routes: list[dict[str, Any]], hostname: str | None = None, name: str = ""
) -> dict[str, Any]:
    """An HTTP Listener entry."""
    return {
        "name": name or f"http-{port}",
        "port": port,
        "protocol": "HTTP",
        "hostname": hostname,
        "tls": None,
        "routes": routes,
    }


def https_listener(
    port: int, routes: list[dict[str, Any]], hostname: str | None, cert: tuple[str, str], name: str
) -> dict[str, Any]:
    """An HTTPS Listener entry terminating with one certificate."""
    return {
        "name": name,
        "port": port,
        "protocol": "HTTPS",
        "hostname": hostname,
        "tls": {"mode": "Terminate", "certificates": [{"certPem": cert[0], "keyPem": cert[1]}]},
        "routes": routes,
    }


# ------------------------------------------------------------------- clients


@dataclass
class Reply:
    """A response as a client saw it."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """First value of a header."""
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)

    def json(self) -> dict[str, Any]:
        """The echo body."""
        return dict(json.loads(self.body))


def http1(
    port: int,
    target: str = "/",
    host: str = "example.com",
    method: str = "GET",
    headers: list[tuple[str, str]] | None = None,
    body: bytes | None = None,
    timeout: float = 10,
) -> Reply:
    """One HTTP/1.1 request on a new connection (like the conformance harness)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host)
        for n, v in headers or []:
            conn.putheader(n, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return Reply(resp.status, resp.getheaders(), resp.read())
    finally:
        conn.close()


def raw_exchange(port: int, data: bytes, timeout: float = 5) -> bytes:
    """Send raw bytes and read until the proxy closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        return out


def h2_request(
    sock: socket.socket | ssl.SSLSocket,
    authority: str,
    path: str = "/",
    method: str = "GET",
    scheme: str = "http",
) -> Reply:
    """One HTTP/2 request over an already connected socket."""
    conn = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
    )
    conn.initiate_connection()
    sid = conn.get_next_available_stream_id()
    conn.send_headers(
        sid,
        [(":method", method), (":scheme", scheme), (":authority", authority), (":path", path)],
        end_stream=True,
    )
    sock.sendall(conn.data_to_send())
    status, headers, body = 0, [], bytearray()
    while True:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed before the response ended")
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                for n, v in ev.headers:
                    if n == ":status":
                        status = int(v)
                    else:
                        headers.append((str(n), str(v)))
            elif isinstance(ev, h2.events.DataReceived):
                body += ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.TrailersReceived):
                headers.extend((str(n), str(v)) for n, v in ev.headers)
            elif isinstance(ev, h2.events.StreamEnded):
                sock.sendall(conn.data_to_send())
                return Reply(status, headers, bytes(body))
        sock.sendall(conn.data_to_send())


def make_cert(names: list[str]) -> tuple[str, str]:
    """A self-signed certificate (PEM cert, PEM key) for these DNS names."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def tls_connect(port: int, sni: str | None, alpn: list[str]) -> ssl.SSLSocket:
    """A TLS connection to the proxy with this SNI (certificates not verified)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(alpn)
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(sock, server_hostname=sni)
