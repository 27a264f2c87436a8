"""Base resources as objects: gating by features, backend shape, certificates that chain."""

from __future__ import annotations

import base64

from cryptography import x509

from harness.conformance import base_resources as base


def names(objects: list[dict]) -> set[tuple[str, str, str]]:  # type: ignore[type-arg]
    return {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in objects}


def test_gateways_get_the_class_under_test() -> None:
    objects = base.gateway_objects("my-class")
    gateways = [o for o in objects if o["kind"] == "Gateway"]
    assert {g["metadata"]["name"] for g in gateways} == {
        "same-namespace",
        "same-namespace-with-https-listener",
        "all-namespaces",
        "backend-namespaces",
    }
    assert {g["spec"]["gatewayClassName"] for g in gateways} == {"my-class"}
    namespaces = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Namespace"}
    assert namespaces[base.INFRA]["metadata"]["labels"] == {"gateway-conformance": "infra"}


def test_backends_gated_by_features() -> None:
    http_only = names(base.backend_objects("echo:1", {"Gateway", "HTTPRoute"}))
    assert ("Deployment", base.INFRA, "infra-backend-v3") in http_only
    assert ("Service", base.WEB_BACKEND, "web-backend") in http_only
    assert not any(n.startswith(("grpc-", "tls-", "tcp-")) for _, _, n in http_only)
    with_grpc = names(base.backend_objects("echo:1", {"Gateway", "GRPCRoute"}))
    assert ("Deployment", base.INFRA, "grpc-infra-backend-v2") in with_grpc
    with_tls = names(base.backend_objects("echo:1", {"TLSRoute"}))
    assert ("Deployment", base.APP_BACKEND, "tls-backend") in with_tls
    assert ("Deployment", base.INFRA, "tcp-backend") in with_tls


def test_backend_shape() -> None:
    objects = base.backend_objects("echo:1", {"BackendTLSPolicy"})
    by_key = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    service = by_key[("Service", "infra-backend-v1")]
    ports = {p["name"]: p for p in service["spec"]["ports"]}
    assert ports["second-port"]["appProtocol"] == "kubernetes.io/h2c"
    assert ports["third-port"] == {
        "name": "third-port",
        "protocol": "TCP",
        "port": 8082,
        "targetPort": 3000,
        "appProtocol": "kubernetes.io/ws",
    }
    deployment = by_key[("Deployment", "infra-backend-v3")]
    assert deployment["spec"]["replicas"] == 1
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "echo:1"
    env = {e["name"]: e for e in container["env"]}
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    tls = by_key[("Deployment", "tls-backend")]["spec"]["template"]["spec"]
    assert tls["volumes"][0]["secret"]["secretName"] == "tls-checks-certificate"


def test_certificates_chain_to_their_ca() -> None:
    objects = {
        (o["metadata"]["namespace"], o["metadata"]["name"]): o for o in base.certificate_objects()
    }
    secret = objects[(base.INFRA, "tls-checks-certificate")]
    assert secret["type"] == "kubernetes.io/tls"
    cert = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["tls.crt"]))
    ca = x509.load_pem_x509_certificate(
        objects[(base.INFRA, "tls-checks-ca-certificate")]["data"]["ca.crt"].encode()
    )
    cert.verify_directly_issued_by(ca)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["abc.example.com", "other.example.com"]
    assert sans.get_values_for_type(x509.UniformResourceIdentifier) == [
        "spiffe://abc.example.com/test-identity"
    ]
    listener = objects[(base.INFRA, "tls-validity-checks-certificate")]
    listener_cert = x509.load_pem_x509_certificate(base64.b64decode(listener["data"]["tls.crt"]))
    listener_cert.verify_directly_issued_by(listener_cert)  # self-signed, its own anchor
    assert (base.APP_BACKEND, "tls-passthrough-checks-certificate") in objects
    assert (base.INFRA, "mismatch-ca-certificate") in objects
