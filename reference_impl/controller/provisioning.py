"""Desired proxy objects of a Gateway: a Deployment and a LoadBalancer Service it owns."""

from __future__ import annotations

import dataclasses
from typing import Any

from reference_impl.controller.constants import (
    ADMIN_PORT,
    GATEWAY_GROUP,
    GATEWAY_NAME_ANNOTATION,
    GATEWAY_NAME_LABEL,
    GATEWAY_NAMESPACE_ANNOTATION,
    GATEWAY_VERSION,
)
from reference_impl.controller.gateway_view import GatewayView
from reference_impl.controller.naming import proxy_name, selector_labels

Obj = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class ProxyObjects:
    """What the runtime applies for one Gateway (Service is None when no port is usable)."""

    deployment: Obj
    service: Obj | None


def desired_proxy_objects(view: GatewayView, image: str) -> ProxyObjects:
    """The Deployment (one proxy replica) and LoadBalancer Service for an accepted Gateway."""
    namespace, name = view.key
    spec = view.gateway.get("spec") or {}
    infrastructure = spec.get("infrastructure") or {}
    labels = {str(k): str(v) for k, v in (infrastructure.get("labels") or {}).items()}
    annotations = {str(k): str(v) for k, v in (infrastructure.get("annotations") or {}).items()}
    if len(name) <= 63:
        labels[GATEWAY_NAME_LABEL] = name
    labels.update(selector_labels(view.key))
    annotations[GATEWAY_NAMESPACE_ANNOTATION] = namespace
    annotations[GATEWAY_NAME_ANNOTATION] = name
    metadata = {
        "name": proxy_name(view.key),
        "namespace": namespace,
        "labels": labels,
        "annotations": annotations,
        "ownerReferences": [
            {
                "apiVersion": f"{GATEWAY_GROUP}/{GATEWAY_VERSION}",
                "kind": "Gateway",
                "name": name,
                "uid": (view.gateway.get("metadata") or {}).get("uid", ""),
                "controller": True,
            }
        ],
    }
    ports = sorted({item.port for item in view.merged_listeners if item.accepted})
    # Listener ports stay out of the Pod template: a listener added or removed would roll the
    # Deployment, and the Pod swap drops connections. The proxy opens them from its table.
    container_ports: list[Obj] = [{"name": "admin", "containerPort": ADMIN_PORT, "protocol": "TCP"}]
    deployment: Obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": selector_labels(view.key)},
            "template": {
                "metadata": {"labels": dict(labels), "annotations": dict(annotations)},
                "spec": {
                    "terminationGracePeriodSeconds": 10,
                    "containers": [
                        {
                            "name": "proxy",
                            "image": image,
                            "imagePullPolicy": "IfNotPresent",
                            "args": ["--admin-address", f"$(POD_IP):{ADMIN_PORT}"],
                            "env": [
                                {
                                    "name": "POD_IP",
                                    "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}},
                                }
                            ],
                            "ports": container_ports,
                            "readinessProbe": {
                                "httpGet": {"path": "/ready", "port": ADMIN_PORT},
                                "periodSeconds": 1,
                            },
                        }
                    ],
                },
            },
        },
    }
    service: Obj | None = None
    if ports:
        service_spec: Obj = {
            "type": "LoadBalancer",
            "selector": selector_labels(view.key),
            "ports": [
                {"name": f"l-{port}", "port": port, "targetPort": port, "protocol": "TCP"}
                for port in ports
            ],
        }
        requested = requested_ips(view.gateway)
        if requested:
            service_spec["loadBalancerIP"] = requested[0]
        service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {k: v for k, v in metadata.items()},
            "spec": service_spec,
        }
    return ProxyObjects(deployment, service)


def requested_ips(gateway: Obj) -> list[str]:
    """IPAddress values the Gateway asks for in spec.addresses."""
    return [
        str(a["value"])
        for a in (gateway.get("spec") or {}).get("addresses") or ()
        if (a.get("type") or "IPAddress") == "IPAddress" and a.get("value")
    ]
