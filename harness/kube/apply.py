"""Server-side apply of multi-document YAML manifests through the dynamic client."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from harness.kube.resources import ObjectRef, resolve_kind

FIELD_MANAGER = "gateway-harness"
# Upstream manifests write placeholders as "{NAME}"; we substitute the same spelling.
_PLACEHOLDER = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
# Applied first so the objects after them have somewhere to live / a schema.
_FIRST_KINDS = {"Namespace": 0, "CustomResourceDefinition": 1}


class ManifestError(ValueError):
    """A manifest that cannot be parsed or applied; names the file and document index.

    ``applied`` lists what was applied before the failing document, so the caller
    can remove it and leave nothing behind.
    """

    def __init__(self, message: str, applied: list[AppliedObject] | None = None) -> None:
        super().__init__(message)
        self.applied: list[AppliedObject] = list(applied or [])


@dataclasses.dataclass(frozen=True)
class AppliedObject:
    """An object as the API server returned it after apply."""

    ref: ObjectRef
    body: dict[str, Any]


def _read(source: str | os.PathLike[str]) -> tuple[str, str]:
    """(text, name shown in errors) from a path or from YAML text."""
    if isinstance(source, os.PathLike) or (
        "\n" not in source and source.endswith((".yaml", ".yml"))
    ):
        path = Path(source)
        try:
            return path.read_text(), str(path)
        except OSError as exc:
            raise ManifestError(f"cannot read manifest {path}: {exc.strerror}") from exc
    return str(source), "<inline manifest>"


def parse_manifest(
    source: str | os.PathLike[str],
    substitutions: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The objects in a manifest (path or YAML text), placeholders substituted.

    Raises ManifestError naming the file, the document index (0-based) and the fault.
    """
    text, shown = _read(source)
    subs = dict(substitutions or {})

    def replace(match: re.Match[str]) -> str:
        return subs.get(match.group(1), match.group(0))

    text = _PLACEHOLDER.sub(replace, text)
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        index = text[: _error_offset(exc, text)].count("\n---")
        raise ManifestError(f"{shown}: document {index} is not valid YAML: {exc}") from exc
    objects: list[dict[str, Any]] = []
    for index, doc in enumerate(documents):
        if doc is None:
            continue
        problem = _shape_problem(doc)
        if problem:
            raise ManifestError(f"{shown}: document {index} {problem}")
        _apply_structural_substitutions(doc, subs)
        objects.append(doc)
    return objects


def _error_offset(exc: yaml.YAMLError, text: str) -> int:
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return len(text)
    return int(mark.index)


def _shape_problem(doc: Any) -> str:
    if not isinstance(doc, dict):
        return f"is a {type(doc).__name__}, not a Kubernetes object (a mapping)"
    missing = [k for k in ("apiVersion", "kind") if not isinstance(doc.get(k), str)]
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        missing.append("metadata.name")
    if missing:
        kind = doc.get("kind", "object")
        return f"({kind}) lacks {', '.join(missing)}"
    return ""


def _apply_structural_substitutions(doc: dict[str, Any], subs: Mapping[str, str]) -> None:
    # Like upstream's Applier: every Gateway gets the class under test, every
    # GatewayClass the controller under test, whatever the manifest wrote.
    group = doc["apiVersion"].split("/")[0]
    if group != "gateway.networking.k8s.io":
        return
    spec = doc.setdefault("spec", {})
    if doc["kind"] == "Gateway" and "GATEWAY_CLASS_NAME" in subs:
        spec["gatewayClassName"] = subs["GATEWAY_CLASS_NAME"]
    if doc["kind"] == "GatewayClass" and "GATEWAY_CONTROLLER_NAME" in subs:
        spec["controllerName"] = subs["GATEWAY_CONTROLLER_NAME"]


def apply_manifest(
    api: client.ApiClient,
    source: str | os.PathLike[str],
    substitutions: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    *,
    namespace: str | None = None,
    objects: list[dict[str, Any]] | None = None,
) -> list[AppliedObject]:
    """Server-side apply every object of a manifest; returns them as the server stored them.

    ``labels`` are added to every object (the way per-test resources are found
    and removed again); ``namespace`` fills in namespaced objects that name none.
    Namespaces and CRDs are applied first; a kind served by a CRD applied in the
    same call is waited for until the CRD is Established.
    """
    shown = _read(source)[1] if objects is None else str(source)
    docs = objects if objects is not None else parse_manifest(source, substitutions)
    ordered = sorted(enumerate(docs), key=lambda item: _FIRST_KINDS.get(item[1]["kind"], 9))
    applied: list[AppliedObject] = []
    crds: list[str] = []
    for index, doc in ordered:
        body = dict(doc)
        if labels:
            meta = dict(body["metadata"])
            meta["labels"] = {**meta.get("labels", {}), **labels}
            body["metadata"] = meta
        try:
            resource = _resource_for(api, body, crds)
        except LookupError as exc:
            raise ManifestError(
                f"{shown}: document {index} ({body['kind']}): {exc}", applied
            ) from exc
        ns = None
        if resource.namespaced:
            ns = body["metadata"].get("namespace") or namespace or "default"
            body["metadata"] = {**body["metadata"], "namespace": ns}
        try:
            result = resource.server_side_apply(
                body=body,
                name=body["metadata"]["name"],
                namespace=ns,
                field_manager=FIELD_MANAGER,
                force_conflicts=True,
            )
        except ApiException as exc:
            raise ManifestError(
                f"{shown}: document {index} ({body['kind']} {body['metadata']['name']}) "
                f"was rejected by the API server: {exc.status} {_api_message(exc)}",
                applied,
            ) from exc
        stored = result.to_dict()
        applied.append(AppliedObject(ObjectRef.of(stored), stored))
        if body["kind"] == "CustomResourceDefinition":
            crds.append(body["metadata"]["name"])
    return applied


def create_missing(
    api: client.ApiClient,
    objects: list[dict[str, Any]],
    labels: Mapping[str, str] | None = None,
) -> list[AppliedObject]:
    """Create each object unless one of that name exists (then keep the existing one).

    For generated material such as certificates: a rerun, or a second run on the
    same cluster, keeps what the first one created instead of replacing it.
    """
    created: list[AppliedObject] = []
    for index, doc in enumerate(objects):
        body = dict(doc)
        meta = dict(body["metadata"])
        if labels:
            meta["labels"] = {**meta.get("labels", {}), **labels}
        body["metadata"] = meta
        resource = resolve_kind(api, body["kind"], body["apiVersion"])
        ns = meta.get("namespace") if resource.namespaced else None
        try:
            stored = resource.create(body=body, namespace=ns, field_manager=FIELD_MANAGER).to_dict()
        except ApiException as exc:
            if exc.status != 409:
                raise ManifestError(
                    f"<objects>: document {index} ({body['kind']} {meta['name']}) was rejected "
                    f"by the API server: {exc.status} {_api_message(exc)}",
                    created,
                ) from exc
            stored = resource.get(name=meta["name"], namespace=ns).to_dict()
        created.append(AppliedObject(ObjectRef.of(stored), stored))
    return created


def _resource_for(api: client.ApiClient, body: dict[str, Any], crds: list[str]) -> Any:
    try:
        return resolve_kind(api, body["kind"], body["apiVersion"])
    except LookupError:
        if not crds:
            raise
    from harness.kube.waiting import wait_for  # local: waiting imports resources only

    for name in crds:
        wait_for(
            api,
            "apiextensions.k8s.io/v1/CustomResourceDefinition",
            "",
            name,
            _crd_established,
            timeout=60,
        )
    return resolve_kind(api, body["kind"], body["apiVersion"])


def _crd_established(obj: dict[str, Any] | None) -> bool:
    if obj is None:
        return False
    conditions = obj.get("status", {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def _api_message(exc: ApiException) -> str:
    import json

    try:
        return str(json.loads(exc.body or "{}").get("message") or exc.reason)
    except (ValueError, AttributeError):
        return str(exc.reason)
