"""Check that a load target answers before starting worker processes."""

from __future__ import annotations

import http.client
import ssl

from harness.load.failure_class import classify_exception
from harness.load.spec import LoadSpec
from harness.load.worker_messages import request_headers

PROBE_TIMEOUT_S = 5.0


class TargetUnreachableError(ConnectionError):
    """The load target did not answer one probe request."""


def tls_context(spec: LoadSpec) -> ssl.SSLContext:
    if spec.tls.insecure:
        return ssl._create_unverified_context()
    return ssl.create_default_context(cafile=str(spec.tls.ca_file) if spec.tls.ca_file else None)


class _SniHttpsConnection(http.client.HTTPSConnection):
    """HTTPS to one address, with SNI and certificate checks against another name."""

    def __init__(
        self, host: str, port: int, server_name: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._server_name = server_name
        self._tls_context = context

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._tls_context.wrap_socket(self.sock, server_hostname=self._server_name)


def probe_target(spec: LoadSpec) -> int | None:
    """Connect (and handshake) like the run will, then send one request.

    Raises TargetUnreachableError when no connection can be made; returns the
    probe's status, or None when the target accepted the connection but did not
    answer (the run then counts those failures by class).
    """
    timeout = min(spec.timeout_s, PROBE_TIMEOUT_S)
    connection: http.client.HTTPConnection
    if spec.scheme == "https":
        connection = _SniHttpsConnection(
            spec.target_host,
            spec.target_port,
            spec.sni_name,
            timeout=timeout,
            context=tls_context(spec),
        )
    else:
        connection = http.client.HTTPConnection(spec.target_host, spec.target_port, timeout=timeout)
    try:
        try:
            connection.connect()
        except OSError as exc:
            failure = classify_exception(exc, connected=False)
            raise TargetUnreachableError(
                f"load target {spec.url} is unreachable ({failure}: {exc}); start the server "
                "or fix LoadSpec.url (and tls / host_header for HTTPS) before the run"
            ) from None
        try:
            connection.request(
                spec.method.upper(),
                spec.request_target,
                body=spec.body or None,
                headers=request_headers(spec),
            )
            response = connection.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            return None
    finally:
        connection.close()
