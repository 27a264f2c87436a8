"""Change a scenario object's spec by server-side apply, as the manifest's own field manager.

A merge patch would give the change to another field manager, so the plugin's
re-apply before a retry could not undo it (an added listener would stay and the
retry would add it twice). Applied as the manifest's manager, the re-apply
restores the manifest's spec.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from harness.kube.apply import apply_manifest
from harness.kube.waiting import Obj


def apply_spec(api: client.ApiClient, current: Obj, spec: dict[str, Any]) -> Obj:
    """Apply ``spec`` to the object ``current`` (its labels kept); returns the stored object."""
    meta = current["metadata"]
    body = {
        "apiVersion": current["apiVersion"],
        "kind": current["kind"],
        "metadata": {
            "name": meta["name"],
            "namespace": meta.get("namespace") or None,
            "labels": dict(meta.get("labels") or {}),
        },
        "spec": spec,
    }
    if body["metadata"]["namespace"] is None:
        del body["metadata"]["namespace"]
    applied = apply_manifest(api, f"<spec change of {meta['name']}>", objects=[body])
    return applied[0].body
