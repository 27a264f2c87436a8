"""Names and labels of a Gateway's proxy objects (Deployment, Service, Pods)."""

from __future__ import annotations

import hashlib
import re

from reference_impl.controller.constants import (
    GATEWAY_KEY_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
)
from reference_impl.controller.model import Key


def gateway_hash(key: Key) -> str:
    """A short stable hash of namespace/name, usable as a label value."""
    return hashlib.sha256(f"{key[0]}/{key[1]}".encode()).hexdigest()[:16]


def proxy_name(key: Key) -> str:
    """Deployment and Service name: a DNS-1035 label (<= 63 chars) derived from the Gateway."""
    base = re.sub(r"[^a-z0-9-]", "-", key[1].lower()).strip("-")[:40].strip("-") or "gateway"
    if not base[0].isalpha():
        base = "gw-" + base
    return f"{base[:40].rstrip('-')}-proxy-{gateway_hash(key)[:8]}"


def selector_labels(key: Key) -> dict[str, str]:
    """Labels that select a Gateway's proxy Pods."""
    return {MANAGED_BY_LABEL: MANAGED_BY_VALUE, GATEWAY_KEY_LABEL: gateway_hash(key)}
