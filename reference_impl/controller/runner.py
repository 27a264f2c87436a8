"""The controller's runtime: watches -> debounced compute() -> status, proxies, table pushes."""

from __future__ import annotations

import dataclasses
import datetime
import logging
import threading
import time
from typing import Any

from reference_impl.controller.compute import ComputeResult, compute, proxy_pods_of
from reference_impl.controller.constants import (
    CONTROLLER_NAME,
    GATEWAY_GROUP,
    GATEWAY_VERSION,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    REFERENCE_GRANT_VERSION,
)
from reference_impl.controller.crd_support import CrdFeatures
from reference_impl.controller.eval_cache import RouteEvalCache
from reference_impl.controller.faults import Fault, inject
from reference_impl.controller.features import PROXY_SUPPORT, DataPlaneSupport
from reference_impl.controller.gatewayclass import is_owned_class
from reference_impl.controller.kube_rest import KubeRest
from reference_impl.controller.model import Key, Snapshot
from reference_impl.controller.provisioner import Provisioner, is_managed
from reference_impl.controller.pusher import ProxyTarget, Pusher
from reference_impl.controller.reflector import Reflector, Resource
from reference_impl.controller.status_writer import StatusWriter
from reference_impl.controller.store import ObjectStore
from reference_impl.images import proxy_image

log = logging.getLogger(__name__)

_MANAGED = f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE}"
_GW = f"{GATEWAY_GROUP}/{GATEWAY_VERSION}"
RESOURCES = (
    Resource("GatewayClass", _GW, "gatewayclasses"),
    Resource("Gateway", _GW, "gateways"),
    Resource("HTTPRoute", _GW, "httproutes"),
    Resource("GRPCRoute", _GW, "grpcroutes"),
    Resource("TLSRoute", _GW, "tlsroutes"),
    Resource("ListenerSet", _GW, "listenersets"),
    Resource("BackendTLSPolicy", _GW, "backendtlspolicies"),
    Resource("ReferenceGrant", f"{GATEWAY_GROUP}/{REFERENCE_GRANT_VERSION}", "referencegrants"),
    Resource("Service", "v1", "services"),
    Resource("EndpointSlice", "discovery.k8s.io/v1", "endpointslices"),
    Resource("Secret", "v1", "secrets", field_selector="type=kubernetes.io/tls"),
    Resource("ConfigMap", "v1", "configmaps"),
    Resource("Namespace", "v1", "namespaces"),
    Resource("Pod", "v1", "pods", label_selector=_MANAGED),
    Resource("Deployment", "apps/v1", "deployments", label_selector=_MANAGED),
)


@dataclasses.dataclass(frozen=True)
class ControllerOptions:
    """Knobs of one controller instance."""

    controller_name: str = CONTROLLER_NAME
    gateway_class_names: frozenset[str] | None = None
    proxy_image: str = dataclasses.field(default_factory=proxy_image)
    quiet_seconds: float = 0.003
    """Debounce: a change after a quiet spell this long is reconciled at once; changes that
    arrive while the controller is busy are coalesced until none arrived for this long ..."""
    max_delay_seconds: float = 0.1
    """... or at the latest this long after the first event of a burst."""
    push_wait_seconds: float = 0.05
    """After a table changed, statuses wait this long at most for the proxies to take it:
    traffic first, and the status writes do not compete with the push for the CPU."""
    resync_seconds: float = 30.0
    data_plane: DataPlaneSupport = PROXY_SUPPORT
    """What the proxy serves (route kinds, TLS listener modes, backend TLS)."""
    unserved_features: frozenset[str] = frozenset()
    """Implemented features the cluster's CRDs cannot express (crd_support.py), when no
    CrdFeatures follows the CRDs."""
    crd_poll_seconds: float = 10.0
    """How often CrdFeatures looks for changed CRDs."""
    fault: Fault | None = None
    """A deliberate bug, for testing the conformance suite only (see faults.py)."""


def rfc3339_now() -> str:
    """The current UTC time, second precision, as Kubernetes writes it."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Controller:
    """One running controller: call run(stop) and set stop to end it."""

    def __init__(
        self,
        rest: KubeRest,
        options: ControllerOptions | None = None,
        crd_features: CrdFeatures | None = None,
    ) -> None:
        self.options = options or ControllerOptions()
        self.crd_features = crd_features
        """Follows the CRDs for what may be advertised; options.unserved_features without."""
        self._rest = rest
        self.store = ObjectStore(r.kind for r in RESOURCES)
        self.writer = StatusWriter(rest)
        self.store.status_awaited = self.writer.awaits
        self.provisioner = Provisioner(rest)
        self.pusher = Pusher()
        self.route_cache = RouteEvalCache()
        self.reconciles = 0
        self.last_reconcile_seconds = 0.0

    def run(self, stop: threading.Event) -> None:
        """Watch and reconcile until stop is set; then stop pushing and return."""
        for resource in RESOURCES:
            Reflector(self._rest, resource, self.store, stop).start()
        threading.Thread(target=self._wake_on, args=(stop,), daemon=True).start()
        if self.crd_features is not None:
            threading.Thread(target=self._follow_crds, args=(stop,), daemon=True).start()
        self.pusher.start()
        log.warning(
            "reference controller %s running (classes: %s)",
            self.options.controller_name,
            ", ".join(sorted(self.options.gateway_class_names or ())) or "all of its name",
        )
        try:
            while not stop.is_set():
                waiting_since = time.monotonic()
                self.store.changed.wait(self.options.resync_seconds)
                if stop.is_set():
                    break
                if not self.store.all_synced():
                    self.store.changed.clear()
                    stop.wait(0.05)
                    continue
                if time.monotonic() - waiting_since < self.options.quiet_seconds:
                    self._debounce(stop)  # changes kept coming: let the burst settle
                else:
                    # The first change after a quiet spell goes out at once; what follows it
                    # while this reconcile runs is coalesced into the next one.
                    self.store.changed.clear()
                try:
                    self.reconcile_once()
                except Exception:
                    log.exception("reconcile failed; retrying on the next change")
                    stop.wait(0.5)
        finally:
            self.pusher.stop()
            self.writer.close()
            log.warning("reference controller stopped")

    def _wake_on(self, stop: threading.Event) -> None:
        """Wake the loop when stop is set, so SIGTERM ends the controller at once."""
        stop.wait()
        self.store.changed.set()

    def _follow_crds(self, stop: threading.Event) -> None:
        """Advertise what the CRDs can express also after they changed (another channel)."""
        assert self.crd_features is not None
        while not stop.wait(self.options.crd_poll_seconds):
            try:
                changed = self.crd_features.refresh()
            except Exception:  # the API server is away: look again next time
                log.warning("looking at the CRDs failed", exc_info=True)
                continue
            if changed:
                unserved = ", ".join(sorted(self.crd_features.unserved)) or "none"
                log.warning("the CRDs changed; features they cannot express: %s", unserved)
                self.store.changed.set()

    def _debounce(self, stop: threading.Event) -> None:
        """Coalesce a burst of events: wait for a quiet gap, bounded by max_delay."""
        deadline = time.monotonic() + self.options.max_delay_seconds
        while not stop.is_set():
            self.store.changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if not self.store.changed.wait(min(self.options.quiet_seconds, remaining)):
                break
        self.store.changed.clear()

    def snapshot(self) -> Snapshot:
        return self.store.snapshot(
            rfc3339_now(),
            route_cache=self.route_cache,
            controller_name=self.options.controller_name,
            gateway_class_names=self.options.gateway_class_names,
            data_plane=self.options.data_plane,
            unserved_features=(
                self.crd_features.unserved
                if self.crd_features is not None
                else self.options.unserved_features
            ),
        )

    def reconcile_once(self) -> ComputeResult:
        """One full pass: compute, push (asynchronously), write changed statuses, provision."""
        started = time.monotonic()
        hits, misses = self.route_cache.hits, self.route_cache.misses
        snapshot = self.snapshot()
        result = inject(compute(snapshot, self.options.proxy_image), self.options.fault)
        self.route_cache.end()
        computed = time.monotonic()
        # The pusher works in its own thread: hand it the tables first, so traffic does not
        # wait for the status round trips to the API server.
        if self.pusher.update(result.routing_tables, proxy_targets(snapshot, result)):
            self.pusher.wait_delivered(self.options.push_wait_seconds)
        writes = self.writer.write_changed(
            [
                ("GatewayClass", snapshot.gateway_classes, result.gateway_class_statuses),
                ("Gateway", snapshot.gateways, result.gateway_statuses),
                ("HTTPRoute", snapshot.http_routes, result.http_route_statuses),
                ("GRPCRoute", snapshot.grpc_routes, result.grpc_route_statuses),
                ("TLSRoute", snapshot.tls_routes, result.tls_route_statuses),
                ("ListenerSet", snapshot.listener_sets, result.listener_set_statuses),
                (
                    "BackendTLSPolicy",
                    snapshot.backend_tls_policies,
                    result.backend_tls_policy_statuses,
                ),
            ]
        )
        # A write that waits for its object's next version, which the store got meanwhile:
        # that status-only event woke nobody, so look again now.
        for (kind, key), version in self.writer.awaiting().items():
            if self.store.version_of(kind, key) != version and self.writer.awaits(
                kind, key, self.store.version_of(kind, key)
            ):
                self.store.changed.set()
        self.provisioner.sync(
            result.proxies,
            {
                "Deployment": self.store.objects("Deployment"),
                "Service": {
                    k: v for k, v in self.store.objects("Service").items() if is_managed(v)
                },
            },
            released_gateways(snapshot, result),
        )
        self.reconciles += 1
        self.last_reconcile_seconds = time.monotonic() - started
        log.debug(
            "reconciled in %.1f ms (compute %.1f ms, route cache %d hits, %d misses, context %d):"
            " %d status write(s)",
            self.last_reconcile_seconds * 1000,
            (computed - started) * 1000,
            self.route_cache.hits - hits,
            self.route_cache.misses - misses,
            self.store.context_version,
            writes,
        )
        return result


def released_gateways(snapshot: Snapshot, result: ComputeResult) -> set[Key]:
    """Gateways whose proxies this instance may delete: not served any more, not another's."""
    released: set[Key] = set()
    for key, gateway in snapshot.gateways.items():
        if key in result.proxies:
            continue
        class_name = (gateway.get("spec") or {}).get("gatewayClassName")
        gateway_class = snapshot.gateway_classes.get(class_name or "")
        if gateway_class is None:
            released.add(key)
            continue
        # A class of another controller (or another instance's class) is not ours: when
        # that controller is another instance of this one (e.g. a --fault test instance),
        # its proxies carry our labels, and deleting them would break it.
        controller = (gateway_class.get("spec") or {}).get("controllerName")
        if controller == snapshot.controller_name and is_owned_class(snapshot, gateway_class):
            released.add(key)
    return released


def proxy_targets(snapshot: Snapshot, result: ComputeResult) -> dict[Key, list[ProxyTarget]]:
    """Running proxy Pods (with an IP) of every Gateway that has a table."""
    targets: dict[Key, list[ProxyTarget]] = {}
    for key in result.routing_tables:
        pods: list[ProxyTarget] = []
        for pod in proxy_pods_of(snapshot, key):
            status: dict[str, Any] = pod.get("status") or {}
            if status.get("phase") == "Running" and status.get("podIP"):
                # A restarted container lost its table: the restart count makes it a new target.
                restarts = sum(
                    int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or ()
                )
                uid = str((pod.get("metadata") or {}).get("uid") or status["podIP"])
                pods.append(ProxyTarget(f"{uid}/{restarts}", str(status["podIP"])))
        targets[key] = pods
    return targets
