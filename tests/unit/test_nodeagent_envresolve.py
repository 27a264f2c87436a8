"""Container environment: values, $(VAR) expansion, downward API, Secrets and ConfigMaps."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from harness.cluster.local.nodeagent.envresolve import (
    ContainerConfigError,
    expand,
    resolve_env,
)

POD: dict[str, Any] = {
    "metadata": {"name": "web-1", "namespace": "apps", "uid": "u-1", "labels": {"app": "web"}},
    "spec": {"nodeName": "gwh-node", "serviceAccountName": "default"},
}
SECRETS = {("apps", "tls"): {"data": {"crt": base64.b64encode(b"CERT").decode()}}}
CONFIG_MAPS = {("apps", "settings"): {"data": {"mode": "fast", "level": "3"}}}


def _env(container: dict[str, Any]) -> dict[str, str]:
    return resolve_env(
        container,
        POD,
        pod_ip="198.18.0.7",
        host_ip="198.18.0.1",
        secrets=lambda ns, n: SECRETS.get((ns, n)),
        config_maps=lambda ns, n: CONFIG_MAPS.get((ns, n)),
    )


def test_values_field_refs_secret_and_config_map_keys() -> None:
    env = _env(
        {
            "env": [
                {"name": "PLAIN", "value": "x"},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                {
                    "name": "APP",
                    "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}},
                },
                {"name": "CRT", "valueFrom": {"secretKeyRef": {"name": "tls", "key": "crt"}}},
                {
                    "name": "MODE",
                    "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}},
                },
                {"name": "URL", "value": "http://$(IP):80/$(MISSING)$$"},
            ]
        }
    )
    assert env == {
        "PLAIN": "x",
        "POD_NAME": "web-1",
        "NS": "apps",
        "IP": "198.18.0.7",
        "NODE": "gwh-node",
        "APP": "web",
        "CRT": "CERT",
        "MODE": "fast",
        "URL": "http://198.18.0.7:80/$(MISSING)$",
    }


def test_env_from_with_prefix_comes_before_env() -> None:
    env = _env(
        {
            "envFrom": [{"configMapRef": {"name": "settings"}, "prefix": "CFG_"}],
            "env": [{"name": "CFG_MODE", "value": "slow"}],
        }
    )
    assert env == {"CFG_mode": "fast", "CFG_level": "3", "CFG_MODE": "slow"}


def test_missing_secret_or_key_is_a_config_error_unless_optional() -> None:
    with pytest.raises(ContainerConfigError, match='secret "nope" not found'):
        _env({"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k"}}}]})
    with pytest.raises(ContainerConfigError, match="couldn't find key other"):
        _env(
            {"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "tls", "key": "other"}}}]}
        )
    optional = {"name": "nope", "key": "k", "optional": True}
    assert _env({"env": [{"name": "X", "valueFrom": {"secretKeyRef": optional}}]}) == {}


def test_expand_keeps_unknown_references() -> None:
    assert expand("$(A)-$(B)", {"A": "1"}) == "1-$(B)"
