"""Secret and ConfigMap data reach a Pod as env values and as files at the mount path."""

from __future__ import annotations

import datetime as dt
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from kubernetes import client

from tests.integration.nodeagent_helpers import (
    ECHO_IMAGE,
    create_namespace,
    get_json,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.netns]


def _self_signed() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "echo.example.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("echo.example.com")]), False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@pytest.fixture
def namespace(local_cluster: Any) -> Iterator[str]:
    core = client.CoreV1Api(local_cluster.api_client())
    name = f"na-vol-{uuid.uuid4().hex[:8]}"
    create_namespace(core, name)
    yield name
    core.delete_namespace(name)


def test_secret_volume_serves_tls_and_key_refs_fill_env(local_cluster: Any, namespace: str) -> None:
    core = client.CoreV1Api(local_cluster.api_client())
    cert_pem, key_pem = _self_signed()
    core.create_namespaced_secret(
        namespace,
        {
            "metadata": {"name": "tls"},
            "type": "kubernetes.io/tls",
            "stringData": {"tls.crt": cert_pem.decode(), "tls.key": key_pem.decode()},
        },
    )
    core.create_namespaced_config_map(
        namespace, {"metadata": {"name": "names"}, "data": {"service": "svc-from-configmap"}}
    )
    core.create_namespaced_secret(
        namespace, {"metadata": {"name": "creds"}, "stringData": {"ingress": "ing-from-secret"}}
    )
    mount = f"/run/gwh-nodeagent-test-{uuid.uuid4().hex[:8]}"
    container = {
        "name": "echo",
        "image": ECHO_IMAGE,
        "command": ["/this/is/ignored"],
        "env": [
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "TLS_SERVER_CERT", "value": f"{mount}/crt"},
            {"name": "TLS_SERVER_PRIVKEY", "value": f"{mount}/key"},
            {
                "name": "SERVICE_NAME",
                "valueFrom": {"configMapKeyRef": {"name": "names", "key": "service"}},
            },
            {
                "name": "INGRESS_NAME",
                "valueFrom": {"secretKeyRef": {"name": "creds", "key": "ingress"}},
            },
        ],
        "ports": [{"containerPort": 3000}, {"containerPort": 8443}],
        "volumeMounts": [{"name": "certs", "mountPath": mount, "readOnly": True}],
    }
    volume = {
        "name": "certs",
        "secret": {
            "secretName": "tls",
            "items": [{"key": "tls.crt", "path": "crt"}, {"key": "tls.key", "path": "key"}],
        },
    }
    core.create_namespaced_pod(
        namespace,
        {
            "metadata": {"name": "tls-echo"},
            "spec": {"containers": [container], "volumes": [volume]},
        },
    )

    def ready_ip() -> str | None:
        pod = core.read_namespaced_pod("tls-echo", namespace)
        statuses = pod.status.container_statuses or []
        return pod.status.pod_ip if statuses and statuses[0].ready else None

    pod_ip = wait_for("the TLS echo pod to be ready", ready_ip, timeout=60)
    body = get_json(f"http://{pod_ip}:3000/plain")
    assert body["service"] == "svc-from-configmap"
    assert body["ingress"] == "ing-from-secret"

    def served_cert() -> str | None:
        try:
            return ssl.get_server_certificate((pod_ip, 8443), timeout=2)
        except OSError:
            return None

    served = wait_for("the HTTPS port to answer", served_cert, timeout=30)
    assert x509.load_pem_x509_certificate(served.encode()) == x509.load_pem_x509_certificate(
        cert_pem
    )
    # The bind mount lives in the pod's private mount namespace, not on the host.
    assert not (Path(mount) / "crt").exists()
