"""Client TLS for the frontend-validation scenarios: the listener's CA plus a client pair."""

from __future__ import annotations

from harness.conformance.http_client import TlsSettings, split_address
from harness.conformance.scenario import GatewayHandle
from harness.conformance.traffic import tls_for

SERVER_CERTIFICATE = "tls-validity-checks-certificate"
DEFAULT_CLIENT = "tls-validity-checks-client-certificate"
"""Signed by the CA in ConfigMap tls-validity-checks-ca-certificate."""
PER_PORT_CLIENT = "tls-validity-checks-per-port-client-certificate"
"""Signed by the CA in ConfigMap tls-validity-checks-per-port-ca-certificate."""


def client_tls(gateway: GatewayHandle, server_name: str, client_secret: str | None) -> TlsSettings:
    """Trust the listeners' certificate; present ``client_secret``'s pair when asked."""
    return tls_for(gateway.api, server_name, secret=SERVER_CERTIFICATE, client_secret=client_secret)


def gateway_host(gateway: GatewayHandle) -> str:
    """The Gateway's address without a port (its listeners use several)."""
    host, _ = split_address(gateway.address())
    return host
