"""The base resources of a conformance run: namespaces, Gateways, echo backends, certificates."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from typing import Any

import yaml
from kubernetes import client

from harness.conformance import certificates as certs
from harness.conformance.timeouts import TimeoutConfig
from harness.kube.apply import (
    AppliedObject,
    ManifestError,
    apply_manifest,
    create_missing,
    parse_manifest,
)
from harness.kube.waiting import Obj, WaitTimeout, wait_for, wait_for_list

INFRA = "gateway-conformance-infra"
APP_BACKEND = "gateway-conformance-app-backend"
WEB_BACKEND = "gateway-conformance-web-backend"
NAMESPACES = (INFRA, APP_BACKEND, WEB_BACKEND)
SKIP_READINESS_ANNOTATION = "gateway-api/skip-this-for-readiness"
BASE_LABEL = "gateway-harness.io/base"


def _data(name: str) -> str:
    return resources.files("harness.conformance").joinpath("base", name).read_text()


def gateway_objects(gateway_class: str) -> list[Obj]:
    """The three namespaces and four Gateways, with the class under test."""
    return parse_manifest(_data("gateways.yaml"), {"GATEWAY_CLASS_NAME": gateway_class})


def backend_objects(image: str, supported: Iterable[str]) -> list[Obj]:
    """Service + Deployment of every echo backend whose features (any of) are supported."""
    wanted = set(supported)
    objects: list[Obj] = []
    for spec in yaml.safe_load(_data("backends.yaml")):
        gate = spec.get("features")
        if gate and not wanted.intersection(gate):
            continue
        objects.extend(_backend(spec, image))
    return objects


def _backend(spec: Mapping[str, Any], image: str) -> list[Obj]:
    name, namespace = spec["name"], spec["namespace"]
    labels = {"app": name}
    env: list[Obj] = [
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
    ]
    env += [{"name": k, "value": str(v)} for k, v in spec.get("env", {}).items()]
    container: Obj = {
        "name": name,
        "image": image,
        "env": env,
        "resources": {"requests": {"cpu": "10m"}},
    }
    pod_spec: Obj = {"containers": [container]}
    if spec.get("tlsSecret"):
        # echo-basic reads the server certificate and key from these files.
        env += [
            {"name": "TLS_SERVER_CERT", "value": "/etc/server-certs/tls.crt"},
            {"name": "TLS_SERVER_PRIVKEY", "value": "/etc/server-certs/tls.key"},
            {"name": "TLS_SERVER_PRIV_KEY", "value": "/etc/server-certs/tls.key"},
        ]
        container["volumeMounts"] = [
            {"name": "server-certs", "mountPath": "/etc/server-certs", "readOnly": True}
        ]
        pod_spec["volumes"] = [
            {"name": "server-certs", "secret": {"secretName": spec["tlsSecret"]}}
        ]
    ports = []
    for port in spec["ports"]:
        entry = {
            "name": port["name"],
            "protocol": port.get("protocol", "TCP"),
            "port": port["port"],
            "targetPort": port["targetPort"],
        }
        if "appProtocol" in port:
            entry["appProtocol"] = port["appProtocol"]
        ports.append(entry)
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": labels, "ports": ports},
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": spec["replicas"],
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }
    return [service, deployment]


def _tls_secret(namespace: str, name: str, pair: certs.KeyPair) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"name": name, "namespace": namespace},
        "data": {
            "tls.crt": base64.b64encode(pair.cert_pem.encode()).decode(),
            "tls.key": base64.b64encode(pair.key_pem.encode()).decode(),
        },
    }


def _ca_config_map(namespace: str, name: str, pair: certs.KeyPair) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": {"ca.crt": pair.cert_pem},
    }


def certificate_objects() -> list[Obj]:
    """Secrets and CA ConfigMaps generated now (never stored in the repository)."""
    out: list[Obj] = []
    web = certs.leaf(["*"])
    out.append(_tls_secret(WEB_BACKEND, "certificate", web))
    out.append(_ca_config_map(WEB_BACKEND, "web-backend-cm", web))
    out.append(
        _tls_secret(
            INFRA, "tls-validity-checks-certificate", certs.leaf(["*", "*.org", "*.wildcard.org"])
        )
    )
    for prefix in ("tls-validity-checks", "tls-validity-checks-per-port"):
        ca = certs.certificate_authority(f"{prefix} CA")
        out.append(_ca_config_map(INFRA, f"{prefix}-ca-certificate", ca))
        client_pair = certs.leaf([f"{prefix}-client"], ca, client=True)
        out.append(_tls_secret(INFRA, f"{prefix}-client-certificate", client_pair))
    checks_ca = certs.certificate_authority("tls-checks CA")
    out.append(_ca_config_map(INFRA, "tls-checks-ca-certificate", checks_ca))
    server = certs.leaf(
        ["abc.example.com", "spiffe://abc.example.com/test-identity", "other.example.com"],
        checks_ca,
    )
    out.append(_tls_secret(INFRA, "tls-checks-certificate", server))
    out.append(
        _tls_secret(
            INFRA,
            "tls-checks-client-certificate",
            certs.leaf(["tls-checks-client"], checks_ca, client=True),
        )
    )
    passthrough = certs.leaf(["abc.example.com"], checks_ca)
    out.append(_tls_secret(INFRA, "tls-passthrough-checks-certificate", passthrough))
    out.append(_tls_secret(APP_BACKEND, "tls-passthrough-checks-certificate", passthrough))
    out.append(
        _tls_secret(
            INFRA, "tls-terminate-checks-certificate", certs.leaf(["tls.example.com"], checks_ca)
        )
    )
    out.append(
        _ca_config_map(INFRA, "mismatch-ca-certificate", certs.certificate_authority("mismatch CA"))
    )
    return out


def wait_until_not_terminating(api: client.ApiClient, namespace: str, timeout: float = 300) -> None:
    """A namespace an earlier (interrupted) run is still deleting cannot take new objects."""
    wait_for(
        api,
        "v1/Namespace",
        "",
        namespace,
        lambda obj: obj is None or not obj.get("metadata", {}).get("deletionTimestamp"),
        timeout,
    )


def apply_base(
    api: client.ApiClient,
    gateway_class: str,
    echo_image: str,
    supported: Iterable[str],
    run_label: str,
    transform: Callable[[list[Obj]], list[Obj]] = list,
) -> list[AppliedObject]:
    """Apply everything of the base (labelled ``BASE_LABEL=run_label``); returns it.

    ``transform`` rewrites the namespace and Gateway objects first (run options).
    """
    supported = frozenset(supported)
    labels = {BASE_LABEL: run_label}
    objects = transform(gateway_objects(gateway_class))
    for obj in objects:
        if obj["kind"] == "Namespace":
            wait_until_not_terminating(api, obj["metadata"]["name"])
    applied = apply_manifest(api, "<base resources>", labels=labels, objects=objects)
    try:
        # Like upstream (AlreadyExists ignored): keep certificates an earlier run left.
        applied += create_missing(api, certificate_objects(), labels)
        applied += apply_manifest(
            api, "<base backends>", labels=labels, objects=backend_objects(echo_image, supported)
        )
    except ManifestError as exc:
        raise ManifestError(str(exc), applied + exc.applied) from exc
    return applied


def namespaces_ready(
    api: client.ApiClient, namespaces: Iterable[str], timeouts: TimeoutConfig
) -> None:
    """NamespacesMustBeReady: Gateways Accepted+Programmed at the latest generation, pods Ready."""
    for namespace in namespaces:
        try:
            wait_for_list(
                api,
                "gateway.networking.k8s.io/v1/Gateway",
                namespace,
                _gateways_ready,
                timeouts.NamespacesMustBeReady,
            )
        except WaitTimeout as exc:
            raise WaitTimeout(
                f"{exc}. Is the controller of the GatewayClass running? "
                f"Look: kubectl get gateways -n {namespace} -o yaml"
            ) from None
        try:
            wait_for_list(api, "v1/Pod", namespace, _pods_ready, timeouts.NamespacesMustBeReady)
        except WaitTimeout as exc:
            raise WaitTimeout(f"{exc}. Look: kubectl describe pods -n {namespace}") from None


def _gateways_ready(items: Mapping[str, Obj]) -> tuple[bool, str]:
    for name, gw in items.items():
        meta = gw.get("metadata", {})
        if (meta.get("annotations") or {}).get(SKIP_READINESS_ANNOTATION) == "true":
            continue
        conditions = gw.get("status", {}).get("conditions") or []
        generation = meta.get("generation")
        stale = sorted({str(c.get("observedGeneration")) for c in conditions} - {str(generation)})
        if stale:
            return False, (
                f"Gateway {name}: conditions' observedGeneration {', '.join(stale)} is not "
                f"the latest generation {generation}"
            )
        for wanted in ("Accepted", "Programmed"):
            if not any(c.get("type") == wanted and c.get("status") == "True" for c in conditions):
                shown = [(c.get("type"), c.get("status"), c.get("reason")) for c in conditions]
                return False, f"Gateway {name}: {wanted} is not True (conditions {shown})"
    return True, ""


def _pods_ready(items: Mapping[str, Obj]) -> tuple[bool, str]:
    if not items:
        return False, "no pods yet"
    for name, pod in items.items():
        status = pod.get("status", {})
        if status.get("phase") == "Succeeded" or pod.get("metadata", {}).get("deletionTimestamp"):
            continue
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in status.get("conditions") or []
        )
        if not ready:
            waiting = [
                (cs.get("state") or {}).get("waiting", {}).get("message")
                for cs in status.get("containerStatuses") or []
            ]
            hint = f" ({'; '.join(w for w in waiting if w)})" if any(waiting) else ""
            return False, f"pod {name} is not Ready{hint}"
    return True, ""
