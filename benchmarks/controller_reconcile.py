"""The controller's share of route propagation: one HTTPRoute added or removed among N others,
from the store event to the PATCH body the pusher sends. No cluster: plain objects in memory.

    python benchmarks/controller_reconcile.py [--routes 1 100 1000] [--samples 40]

Each sample adds a route to the object store, then takes the reconcile's critical path:
snapshot, compute (statuses, routing table), route-cache bookkeeping and the pusher's render of
the table and its patch; then removes the route and takes it again. Printed beside it, in the
same run, the same path without the per-route cache (every route evaluated afresh), which is
what the controller did before the cache.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from reference_impl.controller import examples  # noqa: E402
from reference_impl.controller.compute import compute  # noqa: E402
from reference_impl.controller.eval_cache import RouteEvalCache  # noqa: E402
from reference_impl.controller.model import Obj  # noqa: E402
from reference_impl.controller.pusher import Pusher  # noqa: E402
from reference_impl.controller.runner import RESOURCES  # noqa: E402
from reference_impl.controller.store import ObjectStore  # noqa: E402

NAMESPACE = "bench"


class _Versions:
    """resourceVersions as the API server hands them out: one counter for everything."""

    def __init__(self) -> None:
        self.last = 100

    def stamp(self, obj: Obj) -> Obj:
        self.last += 1
        obj["metadata"]["resourceVersion"] = str(self.last)
        return obj


def _route(name: str) -> Obj:
    return examples.http_route(
        name,
        NAMESPACE,
        parents=[{"name": "gw"}],
        hostnames=[f"{name}.bench.example"],
        rules=[
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                "backendRefs": [examples.backend_ref("echo")],
            }
        ],
    )


def _store(routes: int, versions: _Versions) -> ObjectStore:
    store = ObjectStore(r.kind for r in RESOURCES)
    objects: dict[str, list[Obj]] = {
        "GatewayClass": [examples.gateway_class()],
        "Namespace": [examples.namespace(NAMESPACE)],
        "Gateway": [examples.gateway("gw", NAMESPACE)],
        "Service": [examples.service("echo", NAMESPACE)],
        "EndpointSlice": [examples.endpoint_slice("echo", NAMESPACE)],
        "HTTPRoute": [_route(f"bg{i}") for i in range(routes)],
    }
    for resource in RESOURCES:
        store.replace(resource.kind, [versions.stamp(o) for o in objects.get(resource.kind, [])])
    return store


def _critical_path(store: ObjectStore, cache: RouteEvalCache | None, pusher: Pusher) -> None:
    snapshot = store.snapshot(examples.NOW, route_cache=cache)
    result = compute(snapshot, "proxy:bench")
    if cache is not None:
        cache.end()
    if not result.routing_tables:
        raise SystemExit("benchmark setup error: the Gateway got no routing table")
    pusher.update(result.routing_tables, {})


def measure(routes: int, samples: int, cached: bool) -> list[float]:
    """Milliseconds per reconcile, adds and removes alike."""
    versions = _Versions()
    store = _store(routes, versions)
    cache = RouteEvalCache() if cached else None
    pusher = Pusher()
    _critical_path(store, cache, pusher)
    timings: list[float] = []
    for j in range(samples + 3):
        probe = versions.stamp(_route(f"probe{j}"))
        for change in (store.upsert, store.delete):
            change("HTTPRoute", probe)
            started = time.perf_counter()
            _critical_path(store, cache, pusher)
            if j >= 3:  # the first ones warm up
                timings.append((time.perf_counter() - started) * 1000)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--samples", type=int, default=40, help="adds (and removes) per size")
    args = parser.parse_args(argv)
    if min(args.routes) < 0 or args.samples < 1:
        parser.error("--routes must be >= 0 and --samples >= 1")
    print(f"{'routes':>7}  {'cached p50':>10}  {'cached p90':>10}  {'fresh p50':>9}  {'ratio':>5}")
    for routes in args.routes:
        gc.collect()
        cached = sorted(measure(routes, args.samples, cached=True))
        fresh = sorted(measure(routes, args.samples, cached=False))
        p50, p90 = statistics.median(cached), cached[int(0.9 * (len(cached) - 1))]
        base = statistics.median(fresh)
        print(f"{routes:>7}  {p50:>8.2f}ms  {p90:>8.2f}ms  {base:>7.2f}ms  {p50 / base:>5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
