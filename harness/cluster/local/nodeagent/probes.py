"""Readiness checks of a container: its readinessProbe, or a TCP connect to its first port.

Without a readinessProbe the real kubelet marks a running container ready at once. The agent
instead waits until the container's first declared TCP port accepts a connection (or, with no
ports, until the process runs): a Python server needs a few hundred milliseconds to bind, and an
EndpointSlice listing it earlier would send the first test requests to a closed port.
"""

from __future__ import annotations

import dataclasses
import http.client
import logging
import socket
import ssl
from typing import Any

log = logging.getLogger(__name__)

Obj = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class ReadinessCheck:
    """What to probe and how often; `kind` is "http", "tcp" or "none" (process running)."""

    kind: str
    port: int = 0
    path: str = "/"
    scheme: str = "HTTP"
    host: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    initial_delay: float = 0.0
    period: float = 10.0
    timeout: float = 1.0
    success_threshold: int = 1
    failure_threshold: int = 3
    explicit: bool = False  # from a readinessProbe (keeps probing) or the agent's default


def resolve_port(port: Any, container: Obj) -> int | None:
    """A probe port: a number, or the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    if isinstance(port, str):
        if port.isdigit():
            return int(port)
        for declared in container.get("ports") or []:
            if declared.get("name") == port:
                return int(declared["containerPort"])
    return None


def readiness_check(container: Obj) -> ReadinessCheck:
    """The check the agent runs for this container."""
    probe = container.get("readinessProbe")
    if probe:
        timing = {
            "initial_delay": float(probe.get("initialDelaySeconds", 0)),
            "period": float(probe.get("periodSeconds", 10)),
            "timeout": float(probe.get("timeoutSeconds", 1)),
            "success_threshold": int(probe.get("successThreshold", 1)),
            "failure_threshold": int(probe.get("failureThreshold", 3)),
        }
        if "httpGet" in probe:
            get = probe["httpGet"]
            port = resolve_port(get.get("port"), container)
            if port is not None:
                headers = tuple((h["name"], h["value"]) for h in get.get("httpHeaders") or [])
                return ReadinessCheck(
                    "http", port, get.get("path", "/"), get.get("scheme", "HTTP"),
                    get.get("host", ""), headers, explicit=True, **timing,  # type: ignore[arg-type]
                )  # fmt: skip
        elif "tcpSocket" in probe:
            sock = probe["tcpSocket"]
            port = resolve_port(sock.get("port"), container)
            if port is not None:
                return ReadinessCheck(
                    "tcp",
                    port,
                    host=sock.get("host", ""),
                    explicit=True,
                    **timing,  # type: ignore[arg-type]
                )
        log.info(
            "container %s: readinessProbe %s is not supported locally; using the default check",
            container.get("name"), sorted(probe),
        )  # fmt: skip
    for declared in container.get("ports") or []:
        if declared.get("protocol", "TCP") == "TCP":
            return ReadinessCheck("tcp", int(declared["containerPort"]), period=0.2, timeout=0.5)
    return ReadinessCheck("none")


def run_check(check: ReadinessCheck, pod_ip: str) -> bool:
    """One probe attempt against the pod's IP; True on success."""
    host = check.host or pod_ip
    if check.kind == "none":
        return True
    try:
        if check.kind == "tcp":
            with socket.create_connection((host, check.port), timeout=check.timeout):
                return True
        conn: http.client.HTTPConnection
        if check.scheme.upper() == "HTTPS":
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # the kubelet does not verify probe certificates
            conn = http.client.HTTPSConnection(
                host, check.port, timeout=check.timeout, context=context
            )
        else:
            conn = http.client.HTTPConnection(host, check.port, timeout=check.timeout)
        try:
            headers = {"User-Agent": "kube-probe/gwh", **dict(check.headers)}
            conn.request("GET", check.path or "/", headers=headers)
            status = conn.getresponse().status
        finally:
            conn.close()
        return 200 <= status < 400
    except (OSError, http.client.HTTPException):
        return False
