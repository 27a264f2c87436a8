"""A ListenerSet of a scenario, with the assertions of upstream's ListenerSet helpers."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from kubernetes import client

from harness.conformance.scenario import GatewayHandle
from harness.conformance.timeouts import TimeoutConfig
from harness.kube import status as st
from harness.kube.waiting import Obj, wait_for

LISTENER_SET = "gateway.networking.k8s.io/v1/ListenerSet"
LISTENER_READY = (
    st.Condition("ResolvedRefs", "True"),
    st.Condition("Accepted", "True"),
    st.Condition("Programmed", "True"),
)
"""What upstream's RoutesAndParentMustBeAccepted asks of every listener of the parent."""


@dataclasses.dataclass
class ListenerSetHandle:
    """One ListenerSet; status waits follow upstream's semantics (latest generation first)."""

    api: client.ApiClient
    name: str
    namespace: str
    controller_name: str
    timeouts: TimeoutConfig

    @classmethod
    def of(
        cls, gateway: GatewayHandle, name: str, namespace: str | None = None
    ) -> ListenerSetHandle:
        """The ListenerSet `name` (in the Gateway's namespace unless told otherwise)."""
        return cls(
            gateway.api,
            name,
            namespace or gateway.namespace,
            gateway.controller_name,
            gateway.timeouts,
        )

    def _wait(self, expectation: st.StatusExpectation, timeout: float) -> Obj:
        obj = wait_for(self.api, LISTENER_SET, self.namespace, self.name, expectation, timeout)
        assert obj is not None
        return obj

    def must_have_condition(self, type: str, status: str = "", reason: str = "") -> Obj:
        """ListenerSetMustHaveCondition (conditions at the latest generation, then a match)."""
        return self._wait(
            st.HasConditions(st.Condition(type, status, reason)),
            self.timeouts.ListenerSetMustHaveCondition,
        )

    def listeners_must_have(
        self, *conditions: st.Condition | tuple[str, ...] | str, names: Sequence[str] = ()
    ) -> Obj:
        """ListenerSetListenersMustHaveConditions: the named (or all) entries have them all."""
        return self._wait(
            st.listeners_have_conditions(*conditions, names=names, latest=True),
            self.timeouts.ListenerSetListenersMustHaveConditions,
        )

    def must_have_listeners(self, listeners: Sequence[st.ExpectedListener]) -> Obj:
        """ListenerSetStatusMustHaveListeners: exact entries, attachedRoutes, kinds, conditions."""
        return self._wait(
            st.status_has_listeners(listeners),
            self.timeouts.ListenerSetListenersMustHaveConditions,
        )

    def parent(self, **fields: Any) -> st.ExpectedParent:
        """A route's `status.parents[]` entry for this ListenerSet."""
        return st.ExpectedParent(
            name=self.name,
            namespace=self.namespace,
            controller_name=self.controller_name,
            kind="ListenerSet",
            **fields,
        )

    def routes_must_be_accepted(self, *routes: tuple[str, str]) -> None:
        """RoutesAndParentMustBeAccepted with this ListenerSet as the parent.

        ``routes`` are (namespace, name) of HTTPRoutes; then every entry must be ready.
        """
        for namespace, name in routes:
            obj = wait_for(
                self.api,
                "gateway.networking.k8s.io/v1/HTTPRoute",
                namespace,
                name,
                st.route_has_parents([self.parent()]),
                self.timeouts.RouteMustHaveParents,
            )
            assert obj is not None
        self.listeners_must_have(*LISTENER_READY)

    def route_must_have_condition(
        self, route: tuple[str, str], type: str, status: str = "", reason: str = ""
    ) -> Obj:
        """HTTPRouteMustHaveCondition for the parent entry naming this ListenerSet."""
        namespace, name = route
        obj = wait_for(
            self.api,
            "gateway.networking.k8s.io/v1/HTTPRoute",
            namespace,
            name,
            st.route_has_condition(self.name, self.namespace, type, status, reason),
            self.timeouts.HTTPRouteMustHaveCondition,
        )
        assert obj is not None
        return obj
