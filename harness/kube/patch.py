"""Change an existing object with a JSON merge patch; read Secret and ConfigMap contents."""

from __future__ import annotations

import base64
from typing import Any

from kubernetes import client

from harness.kube.resources import resolve_kind

Obj = dict[str, Any]


def merge_patch(api: client.ApiClient, kind: str, namespace: str, name: str, patch: Obj) -> Obj:
    """Apply a JSON merge patch to ``spec``/``metadata``; returns the stored object."""
    resource = resolve_kind(api, kind)
    result = resource.patch(
        body=patch,
        name=name,
        namespace=namespace or None,
        content_type="application/merge-patch+json",
    )
    stored: Obj = result.to_dict()
    return stored


def get_object(api: client.ApiClient, kind: str, namespace: str, name: str) -> Obj:
    """The object as stored now."""
    resource = resolve_kind(api, kind)
    stored: Obj = resource.get(name=name, namespace=namespace or None).to_dict()
    return stored


def secret_value(secret: Obj, key: str) -> str:
    """The decoded text of ``data[key]`` of a Secret object."""
    data = secret.get("data") or {}
    if key not in data:
        name = secret.get("metadata", {}).get("name")
        raise KeyError(f"Secret {name} has no key {key!r} (has {sorted(data)})")
    return base64.b64decode(data[key]).decode()


def read_secret(api: client.ApiClient, namespace: str, name: str, key: str = "tls.crt") -> str:
    """One decoded value of a Secret (default: the certificate of a TLS Secret)."""
    return secret_value(get_object(api, "v1/Secret", namespace, name), key)


def read_config_map(api: client.ApiClient, namespace: str, name: str, key: str = "ca.crt") -> str:
    """One value of a ConfigMap (default: a CA bundle)."""
    data = get_object(api, "v1/ConfigMap", namespace, name).get("data") or {}
    if key not in data:
        raise KeyError(f"ConfigMap {namespace}/{name} has no key {key!r} (has {sorted(data)})")
    return str(data[key])
