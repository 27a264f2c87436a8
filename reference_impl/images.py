"""The reference implementation's container images and how the local node agent runs them."""

from __future__ import annotations

import sys
from importlib import metadata

PROXY_IMAGE = "gateway-harness/reference-proxy"
CONTROLLER_IMAGE = "gateway-harness/reference-controller"


def image_tag() -> str:
    """The tag of both images: the installed distribution's version."""
    try:
        return metadata.version("gateway-harness")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def proxy_image() -> str:
    """Full proxy image reference for this version."""
    return f"{PROXY_IMAGE}:{image_tag()}"


def controller_image() -> str:
    """Full controller image reference for this version."""
    return f"{CONTROLLER_IMAGE}:{image_tag()}"


def local_images() -> dict[str, list[str]]:
    """Image name prefix -> argv the node agent runs (the container's args are appended)."""
    return {
        PROXY_IMAGE: [sys.executable, "-m", "reference_impl.proxy"],
        CONTROLLER_IMAGE: [sys.executable, "-m", "reference_impl.controller"],
    }
