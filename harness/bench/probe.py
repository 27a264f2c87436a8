"""Fast HTTP probing: how soon a URL starts (or stops) answering a given status."""

from __future__ import annotations

import http.client
import time


def status_once(host: str, port: int, path: str, host_header: str | None, timeout: float) -> int:
    """One request on a new connection; 0 when the connection fails."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host_header or host, "Connection": "close"})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()


def wait_for_status(
    host: str,
    port: int,
    path: str,
    want: int,
    *,
    host_header: str | None = None,
    interval: float = 0.005,
    timeout: float = 30.0,
) -> float:
    """Probe every `interval` s until `want` comes back; returns the monotonic time it did."""
    deadline = time.monotonic() + timeout
    while True:
        got = status_once(host, port, path, host_header, timeout=2.0)
        now = time.monotonic()
        if got == want:
            return now
        if now > deadline:
            raise TimeoutError(
                f"http://{host}:{port}{path} (Host {host_header or host}) did not answer "
                f"{want} within {timeout:.0f}s (last status {got or 'connection failed'})"
            )
        time.sleep(interval)
