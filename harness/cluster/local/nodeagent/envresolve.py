"""Container environment as the kubelet builds it: values, downward API, Secrets, ConfigMaps."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

log = logging.getLogger(__name__)

Obj = dict[str, Any]
# (namespace, name) -> the object, or None when it does not exist
ObjectLookup = Callable[[str, str], Obj | None]

_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


class ContainerConfigError(ValueError):
    """The container cannot start yet (e.g. a referenced Secret key is missing)."""


def expand(text: str, env: Mapping[str, str]) -> str:
    """Expand `$(VAR)` references like the kubelet: unknown ones stay, `$$` is a literal `$`."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env.get(name, match.group(0))

    return _REFERENCE.sub(replace, text)


def _field_path_value(pod: Obj, path: str, pod_ip: str, host_ip: str) -> str:
    meta = pod.get("metadata", {})
    spec = pod.get("spec", {})
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.podIP": pod_ip,
        "status.podIPs": pod_ip,
        "status.hostIP": host_ip,
        "status.hostIPs": host_ip,
    }
    if path in simple:
        return str(simple[path])
    found = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if found:
        return str((meta.get(found.group(1)) or {}).get(found.group(2), ""))
    raise ContainerConfigError(f"unsupported fieldRef fieldPath {path!r}")


def _decoded_secret(secret: Obj) -> dict[str, str]:
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    data.update(secret.get("stringData") or {})
    return data


def _config_map_data(config_map: Obj) -> dict[str, str]:
    data = dict(config_map.get("data") or {})
    for key, value in (config_map.get("binaryData") or {}).items():
        data[key] = base64.b64decode(value).decode(errors="replace")
    return data


def _key_ref(
    ref: Obj,
    kind: str,
    namespace: str,
    lookup: ObjectLookup,
    decode: Callable[[Obj], Mapping[str, str]],
) -> str | None:
    name, key, optional = ref.get("name", ""), ref.get("key", ""), bool(ref.get("optional"))
    obj = lookup(namespace, name)
    if obj is None:
        if optional:
            return None
        raise ContainerConfigError(f'{kind} "{name}" not found')
    data = decode(obj)
    if key not in data:
        if optional:
            return None
        raise ContainerConfigError(f"couldn't find key {key} in {kind} {namespace}/{name}")
    return data[key]


def resolve_env(
    container: Obj,
    pod: Obj,
    *,
    pod_ip: str,
    host_ip: str,
    secrets: ObjectLookup,
    config_maps: ObjectLookup,
) -> dict[str, str]:
    """The container's environment (envFrom first, then env in order, with $(VAR) expansion)."""
    namespace = pod.get("metadata", {}).get("namespace", "")
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            ref = source["configMapRef"]
            obj = config_maps(namespace, ref.get("name", ""))
            if obj is None and not ref.get("optional"):
                raise ContainerConfigError(f'configmap "{ref.get("name")}" not found')
            values = _config_map_data(obj) if obj else {}
        elif "secretRef" in source:
            ref = source["secretRef"]
            obj = secrets(namespace, ref.get("name", ""))
            if obj is None and not ref.get("optional"):
                raise ContainerConfigError(f'secret "{ref.get("name")}" not found')
            values = _decoded_secret(obj) if obj else {}
        else:
            continue
        env.update({prefix + k: v for k, v in values.items()})
    for item in container.get("env") or []:
        name = item["name"]
        if "valueFrom" not in item:
            env[name] = expand(item.get("value", ""), env)
            continue
        source = item["valueFrom"]
        value: str | None
        if "fieldRef" in source:
            value = _field_path_value(pod, source["fieldRef"].get("fieldPath", ""), pod_ip, host_ip)
        elif "secretKeyRef" in source:
            value = _key_ref(source["secretKeyRef"], "secret", namespace, secrets, _decoded_secret)
        elif "configMapKeyRef" in source:
            value = _key_ref(
                source["configMapKeyRef"], "configmap", namespace, config_maps, _config_map_data
            )
        else:
            log.info(
                "env %s: valueFrom %s is not supported locally; left empty", name, list(source)
            )
            value = ""
        if value is not None:
            env[name] = value
    return env


def expand_all(items: Sequence[str] | None, env: Mapping[str, str]) -> list[str]:
    return [expand(item, env) for item in items or []]
