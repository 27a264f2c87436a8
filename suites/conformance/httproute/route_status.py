"""Route status waits the scenario handles do not offer yet (kept small; see the report)."""

from __future__ import annotations

from harness.conformance.scenario import GatewayHandle
from harness.kube import status as st
from harness.kube.waiting import Obj, wait_for


class ParentsWithNamespace(st.RouteHasParents):
    """RouteMustHaveParents with namespaceRequired: status must name the parent's namespace."""

    def check(self, obj: Obj) -> str | None:
        problem = super().check(obj)
        if problem:
            return problem
        refs = [p.get("parentRef") or {} for p in obj.get("status", {}).get("parents") or []]
        for want in self.parents:
            if not any(
                ref.get("name") == want.name and ref.get("namespace") == want.namespace
                for ref in refs
            ):
                return f"no status.parents[].parentRef names {want.namespace}/{want.name}: {refs}"
        return None


def route_must_have_parents(
    gateway: GatewayHandle,
    route: str,
    parents: list[st.ExpectedParent],
    *,
    namespace: str | None = None,
    kind: str = "HTTPRoute",
    namespace_required: bool = False,
) -> Obj:
    """RouteMustHaveParents with explicit expected parents (any Gateway, any conditions)."""
    expectation = (
        ParentsWithNamespace(parents) if namespace_required else st.route_has_parents(parents)
    )
    obj = wait_for(
        gateway.api,
        f"gateway.networking.k8s.io/v1/{kind}",
        namespace or gateway.namespace,
        route,
        expectation,
        gateway.timeouts.RouteMustHaveParents,
    )
    assert obj is not None
    return obj


def parent_with(gateway: GatewayHandle, *conditions: st.Condition) -> st.ExpectedParent:
    """The expected status.parents entry for ``gateway`` carrying ``conditions``."""
    return st.ExpectedParent(
        name=gateway.name,
        namespace=gateway.namespace,
        controller_name=gateway.controller_name,
        conditions=tuple(conditions),
    )
