"""Plain-dict builders of Gateway API and core objects, shaped as the API server returns them.

Used by the controller's unit tests and handy for examples; nothing here talks to a cluster.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reference_impl.controller.constants import CONTROLLER_NAME, GATEWAY_GROUP
from reference_impl.controller.model import Obj

NOW = "2026-11-26T03:00:00Z"


def _meta(name: str, namespace: str | None = None, generation: int = 1, **extra: Any) -> Obj:
    meta: Obj = {
        "name": name,
        "uid": f"uid-{namespace or ''}-{name}",
        "generation": generation,
        "resourceVersion": "1",
        "creationTimestamp": "2026-11-26T00:00:00Z",
    }
    if namespace is not None:
        meta["namespace"] = namespace
    meta.update(extra)
    return meta


def gateway_class(
    name: str = "reference", controller: str = CONTROLLER_NAME, generation: int = 1, **spec: Any
) -> Obj:
    """A GatewayClass."""
    return {
        "apiVersion": f"{GATEWAY_GROUP}/v1",
        "kind": "GatewayClass",
        "metadata": _meta(name, generation=generation),
        "spec": {"controllerName": controller, **spec},
    }


def listener(
    name: str = "http",
    port: int = 80,
    protocol: str = "HTTP",
    hostname: str | None = None,
    **extra: Any,
) -> Obj:
    """A Gateway listener."""
    result: Obj = {"name": name, "port": port, "protocol": protocol}
    if hostname is not None:
        result["hostname"] = hostname
    result.update(extra)
    return result


def gateway(
    name: str = "gw",
    namespace: str = "infra",
    listeners: list[Obj] | None = None,
    class_name: str = "reference",
    generation: int = 1,
    **spec: Any,
) -> Obj:
    """A Gateway (one HTTP listener on port 80 by default)."""
    return {
        "apiVersion": f"{GATEWAY_GROUP}/v1",
        "kind": "Gateway",
        "metadata": _meta(name, namespace, generation),
        "spec": {
            "gatewayClassName": class_name,
            "listeners": listeners if listeners is not None else [listener()],
            **spec,
        },
    }


def backend_ref(name: str, port: int = 8080, **extra: Any) -> Obj:
    """An HTTPBackendRef to a Service."""
    return {"name": name, "port": port, **extra}


def http_route(
    name: str = "route",
    namespace: str = "infra",
    parents: list[Obj] | None = None,
    rules: list[Obj] | None = None,
    hostnames: list[str] | None = None,
    generation: int = 1,
    status: Obj | None = None,
) -> Obj:
    """An HTTPRoute (parent Gateway infra/gw, one rule to Service 'backend' by default)."""
    spec: Obj = {
        "parentRefs": parents if parents is not None else [{"name": "gw", "namespace": "infra"}],
        "rules": rules if rules is not None else [{"backendRefs": [backend_ref("backend")]}],
    }
    if hostnames is not None:
        spec["hostnames"] = hostnames
    route: Obj = {
        "apiVersion": f"{GATEWAY_GROUP}/v1",
        "kind": "HTTPRoute",
        "metadata": _meta(name, namespace, generation),
        "spec": spec,
    }
    if status is not None:
        route["status"] = status
    return route


def service(
    name: str = "backend",
    namespace: str = "infra",
    ports: list[Obj] | None = None,
    **spec: Any,
) -> Obj:
    """A ClusterIP Service with one port 8080 -> 3000 by default."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(name, namespace),
        "spec": {
            "ports": ports
            if ports is not None
            else [{"name": "http", "port": 8080, "targetPort": 3000, "protocol": "TCP"}],
            **spec,
        },
    }


def endpoint_slice(
    service_name: str = "backend",
    namespace: str = "infra",
    addresses: list[tuple[str, bool]] | None = None,
    port: int = 3000,
    port_name: str = "http",
    name: str | None = None,
) -> Obj:
    """An EndpointSlice for a Service; addresses are (ip, ready) pairs."""
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": _meta(
            name or f"{service_name}-abc",
            namespace,
            labels={"kubernetes.io/service-name": service_name},
        ),
        "addressType": "IPv4",
        "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
        "endpoints": [
            {"addresses": [ip], "conditions": {"ready": ready}}
            for ip, ready in (addresses if addresses is not None else [("198.18.0.10", True)])
        ],
    }


def tls_secret(name: str, namespace: str, cert_pem: str, key_pem: str) -> Obj:
    """A kubernetes.io/tls Secret."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(name, namespace),
        "type": "kubernetes.io/tls",
        "data": {
            "tls.crt": base64.b64encode(cert_pem.encode()).decode(),
            "tls.key": base64.b64encode(key_pem.encode()).decode(),
        },
    }


def reference_grant(namespace: str, from_: list[Obj], to: list[Obj], name: str = "grant") -> Obj:
    """A ReferenceGrant in the referent's namespace."""
    return {
        "apiVersion": f"{GATEWAY_GROUP}/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": _meta(name, namespace),
        "spec": {"from": from_, "to": to},
    }


def namespace(name: str, labels: dict[str, str] | None = None) -> Obj:
    """A Namespace with the API server's automatic name label."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": _meta(name, labels={"kubernetes.io/metadata.name": name, **(labels or {})}),
    }


def self_signed_pem(host: str = "example.org") -> tuple[str, str]:
    """A fresh self-signed EC certificate for host and its key, both PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return cert_pem, key_pem


def grpc_route(
    name: str = "grpc-route",
    namespace: str = "infra",
    parents: list[Obj] | None = None,
    rules: list[Obj] | None = None,
    hostnames: list[str] | None = None,
    generation: int = 1,
    created: str = "2026-11-26T00:00:00Z",
) -> Obj:
    """A GRPCRoute (parent Gateway infra/gw, one rule to Service 'backend' by default)."""
    spec: Obj = {
        "parentRefs": parents if parents is not None else [{"name": "gw", "namespace": "infra"}],
        "rules": rules if rules is not None else [{"backendRefs": [backend_ref("backend")]}],
    }
    if hostnames is not None:
        spec["hostnames"] = hostnames
    return {
        "apiVersion": f"{GATEWAY_GROUP}/v1",
        "kind": "GRPCRoute",
        "metadata": _meta(name, namespace, generation, creationTimestamp=created),
        "spec": spec,
    }


def tls_route(
    name: str = "tls-route",
    namespace: str = "infra",
    parents: list[Obj] | None = None,
    backend_refs: list[Obj] | None = None,
    hostnames: list[str] | None = None,
    generation: int = 1,
) -> Obj:
    """A TLSRoute (parent Gateway infra/gw, SNI abc.example.com to Service 'backend':8443)."""
    return {
        "apiVersion": f"{GATEWAY_GROUP}/v1",
        "kind": "TLSRoute",
        "metadata": _meta(name, namespace, generation),
        "spec": {
            "parentRefs": parents
            if parents is not None
            else [{"name": "gw", "namespace": "infra"}],
            "hostnames": hostnames if hostnames is not None else ["abc.example.com"],
            "rules": [
                {
                    "backendRefs": backend_refs
                    if backend_refs is not None
                    else [backend_ref("backend", 8443)]
                }
            ],
        },
    }


def tls_listener(
    name: str = "tls",
    port: int = 443,
    mode: str = "Passthrough",
    hostname: str | None = None,
    secret: str | None = None,
) -> Obj:
    """A protocol TLS listener (Terminate ones name their certificate Secret)."""
    tls: Obj = {"mode": mode}
    if secret is not None:
        tls["certificateRefs"] = [{"name": secret}]
    return listener(name, port, "TLS", hostname, tls=tls)


def backend_tls_policy(
    name: str = "backend-tls",
    namespace: str = "infra",
    service_name: str = "backend",
    section: str | None = None,
    ca_refs: list[Obj] | None = None,
    hostname: str = "abc.example.com",
    generation: int = 1,
    created: str = "2026-11-26T00:00:00Z",
    **validation: Any,
) -> Obj:
    """A BackendTLSPolicy for one Service, trusting ConfigMap 'backend-ca' by default."""
    target: Obj = {"group": "", "kind": "Service", "name": service_name}
    if section is not None:
        target["sectionName"] = section
    refs = (
        ca_refs
        if ca_refs is not None
        else [{"group": "", "kind": "ConfigMap", "name": "backend-ca"}]
    )
    spec_validation: Obj = {"hostname": hostname, **validation}
    if refs:
        spec_validation["caCertificateRefs"] = refs
    return {
        "apiVersion": f"{GATEWAY_GROUP}/v1",
        "kind": "BackendTLSPolicy",
        "metadata": _meta(name, namespace, generation, creationTimestamp=created),
        "spec": {"targetRefs": [target], "validation": spec_validation},
    }


def config_map(name: str, namespace: str, data: dict[str, str]) -> Obj:
    """A ConfigMap."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(name, namespace),
        "data": data,
    }


def listener_set(
    name: str = "ls",
    namespace: str = "infra",
    listeners: list[Obj] | None = None,
    gateway: str = "gw",
    gateway_namespace: str | None = "infra",
    generation: int = 1,
    created: str = "2026-11-26T00:00:00Z",
) -> Obj:
    """A ListenerSet whose parentRef names Gateway `gateway_namespace/gateway`."""
    parent_ref: Obj = {"group": GATEWAY_GROUP, "kind": "Gateway", "name": gateway}
    if gateway_namespace is not None:
        parent_ref["namespace"] = gateway_namespace
    return {
        "apiVersion": f"{GATEWAY_GROUP}/v1",
        "kind": "ListenerSet",
        "metadata": _meta(name, namespace, generation, creationTimestamp=created),
        "spec": {
            "parentRef": parent_ref,
            "listeners": listeners
            if listeners is not None
            else [listener("ls-http", hostname="ls.example.com")],
        },
    }
