"""A small JSON client for the Kubernetes API on urllib3, configured like the official client.

The official client's typed models are not needed here: the controller works on plain dicts,
and watches need the raw line stream.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

import urllib3
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config


class KubeApiError(Exception):
    """A non-2xx answer from the API server."""

    def __init__(self, status: int, message: str, body: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.body = dict(body or {})


class KubeRest:
    """JSON requests and watch streams against one API server."""

    def __init__(self, configuration: k8s_client.Configuration, pool_size: int = 32) -> None:
        self._configuration = configuration
        pool_args: dict[str, Any] = {
            "cert_reqs": ssl.CERT_REQUIRED if configuration.verify_ssl else ssl.CERT_NONE,
            "ca_certs": configuration.ssl_ca_cert,
            "cert_file": configuration.cert_file,
            "key_file": configuration.key_file,
            "maxsize": pool_size,
        }
        if configuration.tls_server_name:
            pool_args["server_hostname"] = configuration.tls_server_name
        self._pool = urllib3.PoolManager(**pool_args)
        self._host = configuration.host.rstrip("/")

    @classmethod
    def from_kubeconfig(cls, path: str | None, context: str | None = None) -> KubeRest:
        """From a kubeconfig file, or the in-cluster service account when path is None."""
        configuration = k8s_client.Configuration()
        if path is None:
            k8s_config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
        else:
            k8s_config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=path, context=context, client_configuration=configuration
            )
        return cls(configuration)

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "gateway-harness-reference"}
        if content_type:
            headers["Content-Type"] = content_type
        settings: dict[str, Any] = dict(self._configuration.auth_settings())
        for setting in settings.values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[str(setting["key"])] = str(setting["value"])
        if self._configuration.username and self._configuration.password:
            headers.update(
                urllib3.util.make_headers(
                    basic_auth=f"{self._configuration.username}:{self._configuration.password}"
                )
            )
        return headers

    def _url(self, path: str, query: Mapping[str, Any] | None) -> str:
        url = self._host + path
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        return url

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float = 30.0,
        accept: str = "application/json",
    ) -> dict[str, Any]:
        """One request; returns the decoded JSON body, raises KubeApiError on non-2xx."""
        response = self._pool.request(
            method,
            self._url(path, query),
            body=None if body is None else json.dumps(body).encode(),
            headers={
                **self._headers(content_type if body is not None else None),
                "Accept": accept,
            },
            timeout=urllib3.Timeout(connect=5.0, read=timeout),
            retries=False,
        )
        data: dict[str, Any] = json.loads(response.data) if response.data else {}
        if response.status >= 300:
            raise KubeApiError(response.status, str(data.get("message") or response.reason), data)
        return data

    def watch(
        self, path: str, query: Mapping[str, Any], read_timeout: float
    ) -> Iterator[dict[str, Any]]:
        """Watch events ({type, object}) until the server ends the stream."""
        response = self._pool.request(
            "GET",
            self._url(path, {**query, "watch": "true"}),
            headers=self._headers(None),
            timeout=urllib3.Timeout(connect=5.0, read=read_timeout),
            preload_content=False,
            retries=False,
        )
        try:
            if response.status >= 300:
                data = json.loads(response.read() or b"{}")
                raise KubeApiError(response.status, str(data.get("message") or response.reason))
            buffer = b""
            for chunk in response.stream(amt=None, decode_content=True):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
        finally:
            response.release_conn()
