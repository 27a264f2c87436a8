"""Echo server settings, read from the environment exactly as upstream echo-basic reads them."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["EchoConfig", "EchoConfigError", "EchoMode", "PodContext"]


class EchoConfigError(ValueError):
    """A setting in the environment cannot be used."""


class EchoMode(enum.Enum):
    """Which upstream server the process acts as (chosen by env, first match wins)."""

    HTTP = "http"
    GRPC = "grpc"  # GRPC_ECHO_SERVER
    TCP = "tcp"  # TCP_ECHO_SERVER
    UDP = "udp"  # UDP_ECHO_SERVER


@dataclass(frozen=True)
class PodContext:
    """Where the server runs (NAMESPACE, INGRESS_NAME, SERVICE_NAME, POD_NAME)."""

    namespace: str = ""
    ingress: str = ""
    service: str = ""
    pod: str = ""


@dataclass(frozen=True)
class EchoConfig:
    """Everything the echo server needs; ports are kept as upstream's strings too."""

    mode: EchoMode = EchoMode.HTTP
    context: PodContext = PodContext()
    http_port: str = "3000"
    h2c_port: str = "3001"
    https_port: str = "8443"
    tcp_port: str = "3000"
    tls_port: str = "8443"
    udp_port: str = "8080"
    # Paths to PEM files, as upstream passes them to Go's file-reading TLS helpers.
    tls_server_cert: str = ""
    tls_server_key: str = ""
    tls_client_cacerts: str = ""
    # Not an upstream setting: "" listens on every address like Go's ":port".
    bind_host: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, bind_host: str = "") -> EchoConfig:
        """Read the settings from env (default os.environ) with upstream's names and defaults."""
        env = os.environ if env is None else env

        def get(name: str, default: str = "") -> str:
            return env.get(name, "") or default

        if get("GRPC_ECHO_SERVER"):
            mode = EchoMode.GRPC
        elif get("TCP_ECHO_SERVER"):
            mode = EchoMode.TCP
        elif get("UDP_ECHO_SERVER"):
            mode = EchoMode.UDP
        else:
            mode = EchoMode.HTTP
        # HTTP mode reads TLS_SERVER_PRIVKEY; the gRPC and TCP servers read TLS_SERVER_PRIV_KEY.
        key_var = "TLS_SERVER_PRIVKEY" if mode is EchoMode.HTTP else "TLS_SERVER_PRIV_KEY"
        config = cls(
            mode=mode,
            context=PodContext(
                namespace=get("NAMESPACE"),
                ingress=get("INGRESS_NAME"),
                service=get("SERVICE_NAME"),
                pod=get("POD_NAME"),
            ),
            http_port=get("HTTP_PORT", "3000"),
            h2c_port=get("H2C_PORT", "3001"),
            https_port=get("HTTPS_PORT", "8443"),
            tcp_port=get("TCP_PORT", "3000"),
            tls_port=get("TLS_PORT", "8443"),
            udp_port=get("UDP_PORT", "8080"),
            tls_server_cert=get("TLS_SERVER_CERT"),
            tls_server_key=get(key_var),
            tls_client_cacerts=get("TLS_CLIENT_CACERTS") if mode is EchoMode.HTTP else "",
            bind_host=bind_host,
        )
        for var, value in config._port_settings():
            port_number(var, value)
        return config

    @property
    def tls_enabled(self) -> bool:
        """Upstream serves TLS only when both the certificate and the key are set."""
        return bool(self.tls_server_cert and self.tls_server_key)

    def _port_settings(self) -> list[tuple[str, str]]:
        if self.mode is EchoMode.HTTP:
            ports = [("HTTP_PORT", self.http_port), ("H2C_PORT", self.h2c_port)]
            return ports + ([("HTTPS_PORT", self.https_port)] if self.tls_enabled else [])
        if self.mode is EchoMode.GRPC:
            ports = [("HTTP_PORT", self.http_port)]
            return ports + ([("HTTPS_PORT", self.https_port)] if self.tls_enabled else [])
        if self.mode is EchoMode.TCP:
            return [("TCP_PORT", self.tcp_port), ("TLS_PORT", self.tls_port)]
        return [("UDP_PORT", self.udp_port)]


def port_number(var: str, value: str) -> int:
    """Return value as a TCP/UDP port or raise an error naming the variable."""
    try:
        port = int(value, 10)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535 or not value.isdigit():
        raise EchoConfigError(
            f"{var}={value!r} is not a port number; set {var} to an integer from 0 to 65535"
        )
    return port
