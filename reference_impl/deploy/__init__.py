"""The reference implementation's container build and kind manifests, as package data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEPLOY_DIR = Path(__file__).resolve().parent
DOCKERFILE = DEPLOY_DIR / "Dockerfile"
GATEWAY_CLASS_NAME = "gateway-harness"
"""The GatewayClass the manifests install."""


def manifest_paths() -> list[Path]:
    """The kind manifests (every YAML file here) in apply order."""
    return sorted(DEPLOY_DIR.glob("*.yaml"))


def load_manifests() -> list[dict[str, Any]]:
    """Every object of the kind manifests, in apply order."""
    objects: list[dict[str, Any]] = []
    for path in manifest_paths():
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                objects.append(doc)
    return objects
