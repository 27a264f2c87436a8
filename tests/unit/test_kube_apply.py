"""Manifest parsing: placeholders, structural substitution and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.kube.apply import ManifestError, parse_manifest

MANIFEST = """\
apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: demo
spec:
  gatewayClassName: "{GATEWAY_CLASS_NAME}"
  listeners:
  - name: http
    port: 80
    protocol: HTTP
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: fixed
spec:
  gatewayClassName: written-in-manifest
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: extra
spec:
  controllerName: "{GATEWAY_CONTROLLER_NAME}"
  description: keeps {UNKNOWN_PLACEHOLDER}
"""


def test_placeholders_and_class_override(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST)
    objs = parse_manifest(
        path, {"GATEWAY_CLASS_NAME": "my-class", "GATEWAY_CONTROLLER_NAME": "example.com/c"}
    )
    assert [o["kind"] for o in objs] == ["Namespace", "Gateway", "Gateway", "GatewayClass"]
    assert objs[1]["spec"]["gatewayClassName"] == "my-class"
    # Like upstream's Applier, every Gateway gets the class under test.
    assert objs[2]["spec"]["gatewayClassName"] == "my-class"
    assert objs[3]["spec"]["controllerName"] == "example.com/c"
    assert objs[3]["spec"]["description"] == "keeps {UNKNOWN_PLACEHOLDER}"


def test_inline_text_and_empty_documents() -> None:
    objs = parse_manifest("---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    assert objs == [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}]


def test_missing_name_names_file_and_index(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(MANIFEST + "---\napiVersion: v1\nkind: Service\nmetadata: {}\n")
    with pytest.raises(ManifestError) as info:
        parse_manifest(path)
    message = str(info.value)
    assert str(path) in message and "document 4" in message and "metadata.name" in message


def test_invalid_yaml_names_file_and_index(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\nkind: [unclosed\n")
    with pytest.raises(ManifestError, match=r"bad\.yaml: document 1 is not valid YAML"):
        parse_manifest(path)


def test_non_mapping_document() -> None:
    with pytest.raises(ManifestError, match="document 0 is a list"):
        parse_manifest("- a\n- b\n")


def test_missing_file() -> None:
    with pytest.raises(ManifestError, match=r"cannot read manifest /nonexistent/x\.yaml"):
        parse_manifest("/nonexistent/x.yaml")
