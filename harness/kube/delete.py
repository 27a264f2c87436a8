"""Delete objects and wait, by watch, until the API server no longer has them."""

from __future__ import annotations

from collections.abc import Iterable

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from harness.kube.resources import ObjectRef, resolve_kind
from harness.kube.waiting import wait_for


def delete_and_wait(
    api: client.ApiClient,
    refs: Iterable[ObjectRef],
    timeout: float = 30.0,
    *,
    propagation: str = "Foreground",
) -> None:
    """Delete every object (absent ones are fine), then wait until each is gone.

    Objects are deleted in reverse order, so a manifest's Namespace goes last.
    """
    pending: list[ObjectRef] = []
    for ref in reversed(list(refs)):
        resource = resolve_kind(api, ref.kind, ref.api_version)
        try:
            resource.delete(
                name=ref.name,
                namespace=ref.namespace or None,
                body={"propagationPolicy": propagation},
            )
        except ApiException as exc:
            if exc.status != 404:
                raise
            continue
        pending.append(ref)
    for ref in pending:
        wait_for(
            api,
            f"{ref.api_version}/{ref.kind}",
            ref.namespace,
            ref.name,
            _absent,
            timeout,
        )


def delete_labelled(
    api: client.ApiClient,
    kinds: Iterable[str],
    label_selector: str,
    namespace: str | None = None,
    timeout: float = 30.0,
) -> list[ObjectRef]:
    """Delete every object of ``kinds`` carrying ``label_selector``; waits until gone."""
    refs: list[ObjectRef] = []
    for kind in kinds:
        resource = resolve_kind(api, kind)
        listed = resource.get(namespace=namespace, label_selector=label_selector).to_dict()
        for item in listed.get("items", []):
            meta = item["metadata"]
            refs.append(
                ObjectRef(
                    resource.group_version, resource.kind, meta.get("namespace", ""), meta["name"]
                )
            )
    delete_and_wait(api, list(reversed(refs)), timeout)
    return refs


def _absent(obj: object) -> bool:
    return obj is None
