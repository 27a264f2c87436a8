"""Declaring a conformance scenario, and the per-test handles scenarios assert through."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import pytest
from kubernetes import client

from harness.conformance.timeouts import TimeoutConfig
from harness.kube import status as st
from harness.kube.waiting import Obj, wait_for

F = TypeVar("F", bound=Callable[..., Any])
MARKER = "scenario"
INFRA_NAMESPACE = "gateway-conformance-infra"
DEFAULT_GATEWAY = "same-namespace"


@dataclasses.dataclass(frozen=True)
class ScenarioSpec:
    """What a scenario declares: upstream ShortName, features, manifests, flags."""

    short_name: str
    features: frozenset[str]
    manifests: tuple[str, ...] = ()
    provisional: bool = False
    gateway: str = DEFAULT_GATEWAY
    namespace: str = INFRA_NAMESPACE

    @classmethod
    def from_marker(cls, mark: pytest.Mark) -> ScenarioSpec:
        kwargs = dict(mark.kwargs)
        if mark.args:
            kwargs.setdefault("short_name", mark.args[0])
        if not kwargs.get("short_name"):
            raise ValueError("@scenario needs the upstream ShortName as its first argument")
        manifest = kwargs.pop("manifest", kwargs.pop("manifests", ()))
        manifests = (manifest,) if isinstance(manifest, str) else tuple(manifest)
        features = kwargs.pop("features", ())
        if isinstance(features, str):
            raise ValueError(f"@scenario({kwargs['short_name']}): features must be a set of names")
        return cls(features=frozenset(features), manifests=manifests, **kwargs)


def scenario(
    short_name: str,
    *,
    features: Iterable[str],
    manifest: str | Sequence[str] = (),
    provisional: bool = False,
    gateway: str = DEFAULT_GATEWAY,
    namespace: str = INFRA_NAMESPACE,
) -> Callable[[F], F]:
    """Mark a test as the conformance scenario ``short_name``.

    ``manifest`` paths are relative to the test module; they are applied before
    the test and removed after it. ``gateway`` names the Gateway (in
    ``namespace``) that the ``gateway`` and ``traffic`` fixtures point at.
    """
    mark = pytest.mark.scenario(
        short_name,
        features=frozenset(features),
        manifest=manifest,
        provisional=provisional,
        gateway=gateway,
        namespace=namespace,
    )

    def decorate(func: F) -> F:
        return mark(func)  # type: ignore[no-any-return]

    return decorate


@dataclasses.dataclass
class RouteHandle:
    """One route of a scenario, with assertions that read like the spec."""

    gateway: GatewayHandle
    name: str
    kind: str = "HTTPRoute"
    namespace: str = INFRA_NAMESPACE

    def _wait(
        self, expectation: st.StatusExpectation, timeout: float, stable_for: float = 0.0
    ) -> Obj:
        obj = wait_for(
            self.gateway.api,
            f"gateway.networking.k8s.io/v1/{self.kind}" if "/" not in self.kind else self.kind,
            self.namespace,
            self.name,
            expectation,
            timeout,
            stable_for=stable_for,
        )
        assert obj is not None
        return obj

    def parent(self, **conditions: Any) -> st.ExpectedParent:
        return st.ExpectedParent(
            name=self.gateway.name,
            namespace=self.gateway.namespace,
            controller_name=self.gateway.controller_name,
            **conditions,
        )

    def must_be_accepted(self) -> Obj:
        """RoutesAndParentMustBeAccepted: Accepted by the Gateway, every listener ready."""
        t = self.gateway.timeouts
        obj = self._wait(st.route_has_parents([self.parent()]), t.RouteMustHaveParents)
        self.gateway.listeners_must_have(
            ("ResolvedRefs", "True"), ("Accepted", "True"), ("Programmed", "True")
        )
        return obj

    def must_have_condition(self, type: str, status: str = "", reason: str = "") -> Obj:
        """HTTPRouteMustHaveCondition on this scenario's Gateway."""
        expectation = st.route_has_condition(
            self.gateway.name, self.gateway.namespace, type, status, reason
        )
        return self._wait(expectation, self.gateway.timeouts.HTTPRouteMustHaveCondition)

    def must_have_resolved_refs(self) -> Obj:
        return self.must_have_condition("ResolvedRefs", "True", "ResolvedRefs")

    def must_not_be_accepted(self) -> Obj:
        """HTTPRouteMustHaveNoAcceptedParents (an empty parent list must hold for 1 s)."""
        return self._wait(
            st.route_has_no_accepted_parents(),
            self.gateway.timeouts.HTTPRouteMustNotHaveParents,
            stable_for=1.0,
        )


@dataclasses.dataclass
class GatewayHandle:
    """The Gateway a scenario talks to, with status assertions and its address."""

    api: client.ApiClient
    name: str
    namespace: str
    controller_name: str
    timeouts: TimeoutConfig

    def _wait(self, expectation: st.StatusExpectation, timeout: float) -> Obj:
        obj = wait_for(
            self.api,
            "gateway.networking.k8s.io/v1/Gateway",
            self.namespace,
            self.name,
            expectation,
            timeout,
        )
        assert obj is not None
        return obj

    def other(self, name: str, namespace: str | None = None) -> GatewayHandle:
        """Another Gateway with the same settings."""
        return dataclasses.replace(self, name=name, namespace=namespace or self.namespace)

    def route(
        self, name: str, kind: str = "HTTPRoute", namespace: str | None = None
    ) -> RouteHandle:
        return RouteHandle(self, name, kind, namespace or self.namespace)

    def must_have_condition(self, type: str, status: str = "", reason: str = "") -> Obj:
        return self._wait(
            st.gateway_has_condition(type, status, reason), self.timeouts.GatewayMustHaveCondition
        )

    def listeners_must_have(
        self, *conditions: st.Condition | tuple[str, ...] | str, names: Sequence[str] = ()
    ) -> Obj:
        return self._wait(
            st.listeners_have_conditions(*conditions, names=names),
            self.timeouts.GatewayListenersMustHaveConditions,
        )

    def must_have_listeners(self, listeners: Sequence[st.ExpectedListener]) -> Obj:
        return self._wait(
            st.status_has_listeners(listeners), self.timeouts.GatewayStatusMustHaveListeners
        )

    def must_have_zero_routes(self) -> Obj:
        return self._wait(
            st.gateway_has_zero_routes(), self.timeouts.GatewayStatusMustHaveListeners
        )

    def must_have_attached_listener_sets(self, count: int) -> Obj:
        """GatewayMustHaveAttachedListeners."""
        return self._wait(
            st.gateway_has_attached_listener_sets(count),
            self.timeouts.GatewayStatusMustHaveListeners,
        )

    def address(self, listener: str | None = None) -> str:
        """WaitForGatewayAddress: ``host:port`` of the listener (default: the first)."""
        obj = self._wait(st.gateway_has_address(listener), self.timeouts.GatewayMustHaveAddress)
        address = st.gateway_address(obj, listener)
        assert address is not None
        return address
