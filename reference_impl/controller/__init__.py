"""The reference Gateway API controller.

Two halves:

* a pure core, `compute.compute(snapshot, proxy_image) -> ComputeResult` (statuses of
  GatewayClasses, Gateways and HTTPRoutes; one routing table per Gateway as in
  `reference_impl/routing_table.md`; the proxy Deployment and Service of each Gateway), built
  from `model.Snapshot` (plain API dicts, e.g. `model.snapshot_of(objects, now)`);
* a runtime, `runner.Controller(KubeRest, ControllerOptions).run(stop_event)`: list+watch
  caches, debounced recompute, status writes, server-side apply of proxy objects and table
  pushes (`python -m reference_impl.controller --kubeconfig F`).
"""
