"""Applies each Gateway's proxy Deployment and Service (server-side apply), removes orphans."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from reference_impl.controller.constants import (
    GATEWAY_NAME_ANNOTATION,
    GATEWAY_NAMESPACE_ANNOTATION,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
)
from reference_impl.controller.kube_rest import KubeApiError, KubeRest
from reference_impl.controller.model import Key, Obj
from reference_impl.controller.provisioning import ProxyObjects

log = logging.getLogger(__name__)

FIELD_MANAGER = "gateway-harness-reference-controller"
PATHS = {
    "Deployment": "/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
    "Service": "/api/v1/namespaces/{namespace}/services/{name}",
}


def is_managed(obj: Obj) -> bool:
    """Whether this controller created the object."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return bool(labels.get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE)


class Provisioner:
    """Keeps the cluster's proxy objects equal to the desired ones."""

    def __init__(self, rest: KubeRest) -> None:
        self._rest = rest
        self._applied: dict[tuple[str, str, str], str] = {}
        self.applies = 0

    def sync(
        self,
        desired: Mapping[Key, ProxyObjects],
        existing: Mapping[str, Mapping[Any, Obj]],
        released: set[Key],
    ) -> None:
        """Apply desired objects that changed or vanished; delete managed objects of `released`.

        `existing` maps kind -> cached objects; `released` are Gateways this controller serves
        that need no proxy any more (Gateways gone are cleaned up by owner references).
        """
        wanted: set[tuple[str, str, str]] = set()
        for objects in desired.values():
            for obj in (objects.deployment, objects.service):
                if obj is None:
                    continue
                meta = obj["metadata"]
                ident = (obj["kind"], meta["namespace"], meta["name"])
                wanted.add(ident)
                digest = json.dumps(obj, sort_keys=True)
                present = (meta["namespace"], meta["name"]) in existing.get(obj["kind"], {})
                if present and self._applied.get(ident) == digest:
                    continue
                if self._apply(obj):
                    self._applied[ident] = digest
        for ident in [i for i in self._applied if i not in wanted]:
            del self._applied[ident]
        for kind, cached in existing.items():
            for (namespace, name), obj in cached.items():
                if (kind, namespace, name) in wanted or not is_managed(obj):
                    continue
                annotations = (obj.get("metadata") or {}).get("annotations") or {}
                owner = (
                    annotations.get(GATEWAY_NAMESPACE_ANNOTATION),
                    annotations.get(GATEWAY_NAME_ANNOTATION),
                )
                if owner in released:
                    self._delete(kind, namespace, name)

    def _apply(self, obj: Obj) -> bool:
        meta = obj["metadata"]
        path = PATHS[obj["kind"]].format(namespace=meta["namespace"], name=meta["name"])
        try:
            self._rest.request(
                "PATCH",
                path,
                query={"fieldManager": FIELD_MANAGER, "force": "true"},
                body=obj,
                content_type="application/apply-patch+yaml",
            )
        except KubeApiError as exc:
            # A namespace that is being deleted refuses new objects; the watch will catch up.
            terminating = exc.status == 403 and "being terminated" in exc.message
            log.log(
                logging.DEBUG if terminating else logging.ERROR,
                "apply %s %s/%s failed: %s",
                obj["kind"],
                meta["namespace"],
                meta["name"],
                exc,
            )
            return False
        self.applies += 1
        return True

    def _delete(self, kind: str, namespace: str, name: str) -> None:
        try:
            self._rest.request("DELETE", PATHS[kind].format(namespace=namespace, name=name))
            log.info("deleted %s %s/%s: its Gateway needs no proxy", kind, namespace, name)
        except KubeApiError as exc:
            if exc.status != 404:
                log.error("delete %s %s/%s failed: %s", kind, namespace, name, exc)
        self._applied.pop((kind, namespace, name), None)
