"""The locust master of a distributed run; the engine starts it as a subprocess.

It waits for the remote workers, lets locust spread the users over them, sends
each worker its share of the schedule, relays the start signal and prints each
worker's report on stdout, in the same line protocol local workers use.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import gevent
from gevent.socket import wait_read
from locust.env import Environment

from harness.load.remote_worker import GO_MESSAGE, PLAN_MESSAGE, READY_MESSAGE, REPORT_MESSAGE
from harness.load.worker_messages import GO_PREFIX, READY_LINE, REPORT_PREFIX, WorkerPlan
from harness.load.worker_process import GatewayLoadUser


def _wait_for(condition: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"distributed load master: timed out waiting for {what}")
        gevent.sleep(0.05)


def main() -> int:
    config: dict[str, Any] = json.loads(sys.stdin.readline())
    plans = [WorkerPlan.from_json(text) for text in config["plans"]]
    expected = len(plans)
    join_timeout_s = float(config["join_timeout_s"])
    environment = Environment(user_classes=[GatewayLoadUser])
    runner = environment.create_master_runner(config["bind_host"], int(config["bind_port"]))
    ready: set[str] = set()
    reports: dict[str, dict[str, Any]] = {}

    def on_ready(environment: Environment, msg: Any, **_kwargs: Any) -> None:
        ready.add(msg.node_id)

    def on_report(environment: Environment, msg: Any, **_kwargs: Any) -> None:
        reports[msg.node_id] = msg.data

    runner.register_message(READY_MESSAGE, on_ready)
    runner.register_message(REPORT_MESSAGE, on_report)
    _wait_for(lambda: len(runner.clients.ready) >= expected, join_timeout_s, f"{expected} workers")
    total_users = sum(plan.users for plan in plans)
    runner.start(total_users, spawn_rate=total_users)
    _wait_for(
        lambda: (
            sum(sum(n.user_classes_count.values()) for n in runner.clients.values()) >= total_users
        ),
        join_timeout_s,
        "the users to spawn",
    )
    node_ids = sorted(runner.clients.keys())[:expected]
    for plan, node_id in zip(plans, node_ids, strict=True):
        users = sum(runner.clients[node_id].user_classes_count.values())
        runner.send_message(PLAN_MESSAGE, {"plan": plan.to_json(), "users": users}, node_id)
    _wait_for(lambda: len(ready) >= expected, join_timeout_s, "the workers to be ready")
    print(READY_LINE, flush=True)
    wait_read(sys.stdin.fileno())
    go_line = sys.stdin.readline()
    if not go_line.startswith(GO_PREFIX):
        runner.quit()
        return 1
    for node_id in node_ids:
        runner.send_message(GO_MESSAGE, {"start_epoch": go_line[len(GO_PREFIX) :]}, node_id)
    plan = plans[0]
    _wait_for(
        lambda: len(reports) >= expected,
        plan.duration_s + 2 * plan.timeout_s + 30.0,
        "the workers' reports",
    )
    for node_id in node_ids:
        print(REPORT_PREFIX + json.dumps(reports[node_id]), flush=True)
    runner.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
