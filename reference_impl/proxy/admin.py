"""The admin endpoint: PUT /config, GET /config, GET /ready (see routing_table.md)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from reference_impl.proxy.supervisor import Supervisor
from reference_impl.proxy.table_state import TableState, advance
from reference_impl.routing_table import RouteParseCache
from reference_impl.table_patch import BaseMismatch, is_patch

log = logging.getLogger("reference_impl.proxy")

_MAX_HEAD = 64 * 1024
_MAX_BODY = 64 * 1024 * 1024
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class AdminServer:
    """Validates tables, hands them to the supervisor, reports the version in force."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.version: int | None = None
        self.lock = asyncio.Lock()
        self.routes = RouteParseCache()
        """Validated route entries of the last table: a push re-validates only changed ones."""
        self.state: TableState | None = None
        """The table in force, which a PATCH applies to."""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve requests on one admin connection (keep-alive)."""
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                if len(parts) != 3:
                    self._write(writer, 400, {"error": "malformed request line"}, close=True)
                    return
                method, target, _ = parts
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or "0")
                if length > _MAX_BODY:
                    self._write(writer, 413, {"error": "body larger than 64 MiB"}, close=True)
                    return
                body = await reader.readexactly(length) if length else b""
                status, doc = await self.route(method, target.split("?")[0], body)
                close = headers.get("connection", "").lower() == "close"
                self._write(writer, status, doc, close)
                await writer.drain()
                if close:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:
            # Shutdown cancels idle keep-alive connections; asyncio would log the cancelled
            # handler as an error.
            return
        finally:
            writer.close()

    @staticmethod
    def _write(
        writer: asyncio.StreamWriter, status: int, doc: dict[str, Any], close: bool = False
    ) -> None:
        body = json.dumps(doc).encode() + b"\n"
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            + ("Connection: close\r\n" if close else "")
            + "\r\n"
        )
        writer.write(head.encode() + body)

    async def route(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """Dispatch one admin request."""
        if path == "/config":
            if method == "GET":
                return 200, {"version": self.version}
            if method in ("PUT", "PATCH"):
                return await self.put_config(body, patch=method == "PATCH")
            return 405, {"error": "use GET, PUT or PATCH on /config"}
        if path == "/ready":
            if self.version is None:
                return 503, {"ready": False, "error": "no routing table yet"}
            return 200, {"ready": True, "version": self.version}
        if path == "/healthz":
            return 200, {"ok": True}
        return 404, {"error": f"no such admin path {path}; use /config or /ready"}

    async def put_config(self, body: bytes, patch: bool = False) -> tuple[int, dict[str, Any]]:
        """Validate a table (PUT) or a patch of the table in force (PATCH), push it to every
        worker, then answer."""
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            return 400, {"error": f"body is not JSON: {exc}"}
        if patch != (isinstance(doc, dict) and is_patch(doc)):
            wanted = "PATCH needs a baseVersion" if patch else "PUT takes a full table"
            return 400, {"error": f"{wanted} (see routing_table.md)"}
        async with self.lock:
            try:
                state = advance(self.state, doc, self.routes, patch)
            except BaseMismatch as exc:
                return 409, {"error": str(exc), "version": self.version}
            except ValueError as exc:
                return 400, {"error": str(exc)}
            table = state.table
            if self.version is not None and table.version < self.version:
                older = f"version {table.version} is older than the table in force"
                return 409, {"error": f"{older} ({self.version})", "version": self.version}
            full = state.document.doc
            errors = await self.supervisor.push(body, lambda: json.dumps(full).encode())
            if errors:
                log.error("table %d not applied: %s", table.version, "; ".join(errors))
                return 500, {"error": "; ".join(errors), "version": self.version}
            self.version = table.version
            self.state = state
        return 200, {"version": table.version}
