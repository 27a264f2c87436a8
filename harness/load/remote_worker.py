"""A load worker on another machine, joined to the engine through locust's master/worker.

On each generator machine (one process per core)::

    python -m harness.load.remote_worker --master-host 198.18.0.1 --master-port 5557

then call ``run_load(spec, distributed=DistributedSettings(expect_workers=N, ...))``
on the machine that runs the harness. The master sends each worker its share
of the schedule; each worker reports its histograms and CPU samples back.
Start times are wall-clock instants: keep the machines' clocks in sync (NTP).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

# gevent must patch the standard library before the harness package imports ssl and socket
BOOT = (
    "import gevent.monkey; gevent.monkey.patch_all(); import runpy; "
    "runpy.run_module('harness.load.remote_worker', run_name='__main__', alter_sys=True)"
)

PLAN_MESSAGE = "gwh_plan"
READY_MESSAGE = "gwh_ready"
GO_MESSAGE = "gwh_go"
REPORT_MESSAGE = "gwh_report"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="gateway-harness remote load worker")
    parser.add_argument("--master-host", required=True, help="address of the harness machine")
    parser.add_argument("--master-port", type=int, default=5557)
    return parser.parse_args(argv)


def serve(args: argparse.Namespace) -> int:
    """Join the master and run plans until it quits."""
    import dataclasses

    import gevent
    from locust.env import Environment

    from harness.load.cpu_sampler import CpuSampler
    from harness.load.worker_messages import WorkerPlan
    from harness.load.worker_process import GatewayLoadUser, WorkerRun

    environment = Environment(user_classes=[GatewayLoadUser])
    runner = environment.create_worker_runner(args.master_host, args.master_port)
    state: dict[str, WorkerRun] = {}

    def on_plan(environment: Environment, msg: object, **_kwargs: object) -> None:
        data: dict[str, object] = msg.data  # type: ignore[attr-defined]
        plan = WorkerPlan.from_json(str(data["plan"]))
        plan = dataclasses.replace(plan, users=int(str(data["users"])))
        run = WorkerRun(plan)
        state["run"] = run
        GatewayLoadUser.configure(run)

        def report_ready() -> None:
            if run.wait_parked(30.0):
                runner.send_message(READY_MESSAGE, {"users": plan.users})

        gevent.spawn(report_ready)

    def on_go(environment: Environment, msg: object, **_kwargs: object) -> None:
        run = state["run"]
        data: dict[str, object] = msg.data  # type: ignore[attr-defined]

        def drive() -> None:
            sampler = CpuSampler([os.getpid()])
            run.start(float(str(data["start_epoch"])))
            gevent.sleep(max(0.0, run.t0 - _monotonic()))
            sampler.start()
            gevent.sleep(run.plan.duration_s)
            cpu = sampler.stop()
            run.wait_done()
            report = dataclasses.replace(
                run.report(), cpu_samples=cpu[0], cpu_demand_samples=sampler.demand_samples[0]
            )
            runner.send_message(REPORT_MESSAGE, report.to_dict())

        gevent.spawn(drive)

    runner.register_message(PLAN_MESSAGE, on_plan)
    runner.register_message(GO_MESSAGE, on_go)
    runner.greenlet.join()
    return 0


def _monotonic() -> float:
    import time

    return time.monotonic()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    import gevent.monkey

    if not gevent.monkey.is_module_patched("socket"):
        # started as ``python -m``: restart with the patch applied first
        os.execv(sys.executable, [sys.executable, "-c", BOOT, *sys.argv[1:]])
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
