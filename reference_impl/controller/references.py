"""ReferenceGrant checks for cross-namespace references."""

from __future__ import annotations

from reference_impl.controller.model import Snapshot


def is_permitted(
    snapshot: Snapshot,
    *,
    from_group: str,
    from_kind: str,
    from_namespace: str,
    to_group: str,
    to_kind: str,
    to_namespace: str,
    to_name: str,
) -> bool:
    """Whether a reference from (group, kind, namespace) to that object is allowed.

    Same-namespace references always are; otherwise a ReferenceGrant in the target namespace
    must list the referrer in `from` and the target (all names, or this name) in `to`.
    """
    if from_namespace == to_namespace:
        return True
    for grant in snapshot.reference_grants_in(to_namespace):
        spec = grant.get("spec") or {}
        from_ok = any(
            (f.get("group") or "") == from_group
            and f.get("kind") == from_kind
            and f.get("namespace") == from_namespace
            for f in spec.get("from") or ()
        )
        if not from_ok:
            continue
        if any(
            (t.get("group") or "") == to_group
            and t.get("kind") == to_kind
            and (not t.get("name") or t.get("name") == to_name)
            for t in spec.get("to") or ()
        ):
            return True
    return False
