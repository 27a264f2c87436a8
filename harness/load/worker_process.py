"""One load worker process: locust users driving geventhttpclient on a shared schedule.

The engine starts it (gevent patches first, then this module runs as
``__main__``) and speaks to it over stdin/stdout (see ``worker_messages``).
Importing this module monkey-patches the process through locust, so only the
worker process may import it.

Why the users drive geventhttpclient's ``HTTPClient`` (the client beneath
``FastHttpUser``) instead of ``FastHttpUser.client``: locust stays the engine
(its ``Environment`` and runner spawn and stop the users, one greenlet each),
but its session adds cookies, redirects and event firing per request and its
users pace themselves closed-loop. Here every user pulls the next slot of the
worker's fixed schedule from a counting semaphore that one dispatcher greenlet
fills at the intended instants (woken by ``MonotonicWaiter``), so a late or
stalled server leaves slots waiting and each request's latency is counted from
its slot's intended time, never from when a busy user got round to it.
"""

from __future__ import annotations

import sys
import time
import traceback
from typing import Any, ClassVar

import gevent
import gevent.ssl
from gevent.event import Event
from gevent.lock import Semaphore
from geventhttpclient.client import HTTPClient
from hdrh.histogram import HdrHistogram
from locust import User, constant, task
from locust.env import Environment
from locust.exception import StopUser

from harness.load.failure_class import classify_exception, status_class
from harness.load.latency_histogram import SecondHistograms, encode, new_histogram, record_seconds
from harness.load.open_loop_schedule import WorkerSchedule
from harness.load.precise_timer import MonotonicWaiter
from harness.load.worker_messages import (
    GO_PREFIX,
    READY_LINE,
    WorkerPlan,
    WorkerReport,
)

_CONNECT_FRAMES = frozenset({"_create_socket", "_connect_socket", "get_socket"})
_SPAWN_TIMEOUT_S = 30.0


def _failed_while_connecting(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return any(frame.name in _CONNECT_FRAMES for frame in frames)


def make_client(plan: WorkerPlan) -> HTTPClient:
    """One connection's client, configured for the plan's TLS and timeouts."""
    common: dict[str, Any] = {
        "connection_timeout": plan.timeout_s,
        "network_timeout": plan.timeout_s,
        "concurrency": 1,
    }
    if plan.scheme != "https":
        return HTTPClient(plan.host, plan.port, **common)
    ssl_options: dict[str, Any] = {"server_hostname": plan.server_name}
    if plan.ca_file:
        ssl_options["ca_certs"] = plan.ca_file
    factory = gevent.ssl._create_unverified_context if plan.insecure else None
    return HTTPClient(
        plan.host,
        plan.port,
        ssl=True,
        ssl_options=ssl_options,
        ssl_context_factory=factory or gevent.ssl.create_default_context,
        insecure=plan.insecure,
        **common,
    )


class WorkerRun:
    """The schedule, counters and histograms shared by one worker's users."""

    def __init__(self, plan: WorkerPlan) -> None:
        self.plan = plan
        self.body = plan.body
        self.expected = frozenset(plan.expect_status) if plan.expect_status else None
        self.latency: HdrHistogram = new_histogram()
        self.service_time: HdrHistogram = new_histogram()
        self.send_lag: HdrHistogram = new_histogram()
        self.latency_by_second = SecondHistograms()
        self.errors_by_class: dict[str, int] = {}
        self.per_second: dict[int, list[int]] = {}
        self.sent = self.completed = self.successes = 0
        self.parked = 0
        self.active = plan.users
        self.go = Event()
        self.done = Event()
        self.t0 = 0.0
        self.started_epoch = 0.0
        self.schedule = WorkerSchedule(
            rate=plan.rate or 1.0,
            workers=plan.workers,
            worker_index=plan.worker_index,
            duration_s=plan.duration_s,
        )
        self.slots = Semaphore(0)
        self.released = 0
        self.taken = 0

    # -- one request ---------------------------------------------------------
    def send_one(self, client: HTTPClient, intended: float | None) -> None:
        plan = self.plan
        sent_at = time.monotonic()
        self.sent += 1
        failure: str | None = None
        try:
            response = client.request(
                plan.method, plan.request_target, body=self.body, headers=plan.headers
            )
            try:
                response.read()
            finally:
                response.release()
            status = int(response.status_code)
            ok = status in self.expected if self.expected is not None else status < 400
            if not ok:
                failure = status_class(status)
        except Exception as exc:
            failure = classify_exception(exc, connected=not _failed_while_connecting(exc))
        done_at = time.monotonic()
        self._record(intended, sent_at, done_at, failure)

    def _record(
        self, intended: float | None, sent_at: float, done_at: float, failure: str | None
    ) -> None:
        record_seconds(self.service_time, done_at - sent_at)
        if intended is None:  # closed loop: sent as soon as the previous response ended
            latency = done_at - sent_at
        else:
            latency = done_at - intended
            record_seconds(self.send_lag, sent_at - intended)
        record_seconds(self.latency, latency)
        second = int(done_at - self.t0)
        self.latency_by_second.record(second, latency)
        self.completed += 1
        bucket = self.per_second.setdefault(second, [0, 0])
        bucket[0] += 1
        if failure is None:
            self.successes += 1
        else:
            bucket[1] += 1
            self.errors_by_class[failure] = self.errors_by_class.get(failure, 0) + 1

    # -- loops ---------------------------------------------------------------
    def drive(self, client: HTTPClient) -> None:
        """Body of one user: wait for the start, then send until the run ends."""
        self.parked += 1
        self.go.wait()
        try:
            if self.plan.mode == "open":
                self._drive_open(client)
            else:
                self._drive_closed(client)
        finally:
            client.close()
            self.active -= 1
            if self.active == 0:
                self.done.set()

    def _drive_closed(self, client: HTTPClient) -> None:
        gevent.sleep(max(0.0, self.t0 - time.monotonic()))
        end = self.t0 + self.plan.duration_s
        while time.monotonic() < end:
            self.send_one(client, None)

    def _drive_open(self, client: HTTPClient) -> None:
        end = self.t0 + self.plan.duration_s
        while True:
            self.slots.acquire()
            if self.taken >= self.released or time.monotonic() >= end:
                return  # a stop permit from the dispatcher, or the run is over
            slot = self.taken
            self.taken += 1
            self.send_one(client, self.t0 + self.schedule.intended_at(slot))

    def dispatch(self) -> None:
        """Release each slot to the users at its intended instant (open loop)."""
        schedule = self.schedule
        waiter = MonotonicWaiter()
        total = schedule.total_slots
        backlog_cap = max(4 * self.plan.users, 64)  # bounds the dispatcher's own work
        end = self.t0 + self.plan.duration_s
        try:
            while self.released < total:
                now = time.monotonic()
                if now >= end:
                    break
                due = schedule.due_by(now - self.t0)
                room = backlog_cap - (self.released - self.taken)
                for _ in range(max(0, min(due - self.released, room))):
                    self.released += 1
                    self.slots.release()
                if self.released >= total:
                    break
                if due > self.released:
                    waiter.wait_until(now + 0.0005)  # users are all busy: look again soon
                else:
                    waiter.wait_until(self.t0 + schedule.intended_at(self.released))
        finally:
            waiter.close()
            for _ in range(self.plan.users):
                self.slots.release()  # permits beyond the slots tell users to stop

    def wait_parked(self, timeout_s: float) -> bool:
        """Wait until every user waits for the start; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self.parked < self.plan.users:
            if time.monotonic() > deadline:
                return False
            gevent.sleep(0.01)
        return True

    def wait_done(self) -> None:
        self.done.wait(timeout=self.plan.duration_s + 2 * self.plan.timeout_s + 5.0)

    def start(self, start_epoch: float) -> None:
        self.t0 = time.monotonic() + (start_epoch - time.time())
        self.started_epoch = start_epoch
        if self.plan.mode == "open":
            gevent.spawn(self.dispatch)
        self.go.set()

    def report(self) -> WorkerReport:
        unsent = self.schedule.total_slots - self.taken if self.plan.mode == "open" else 0
        return WorkerReport(
            worker_index=self.plan.worker_index,
            latency_hdr=encode(self.latency),
            service_time_hdr=encode(self.service_time),
            send_lag_hdr=encode(self.send_lag),
            sent=self.sent,
            completed=self.completed,
            successes=self.successes,
            errors_by_class=dict(self.errors_by_class),
            per_second={str(k): v for k, v in sorted(self.per_second.items())},
            latency_per_second={str(k): v for k, v in self.latency_by_second.encoded().items()},
            unsent=max(0, unsent),
            started_epoch=self.started_epoch,
            finished_epoch=time.time(),
        )


class GatewayLoadUser(User):
    """A locust user that hands its connection to the worker's schedule.

    The class is configured once per process (``configure``) before or after
    locust spawns its users; users wait for that, then for the start signal.
    """

    wait_time = constant(0)
    worker_run: ClassVar[WorkerRun | None] = None
    configured: ClassVar[Event] = Event()

    @classmethod
    def configure(cls, run: WorkerRun) -> None:
        cls.worker_run = run
        cls.configured.set()

    @task
    def drive(self) -> None:
        cls = type(self)
        cls.configured.wait()
        run = cls.worker_run
        assert run is not None
        try:
            run.drive(make_client(run.plan))
        except Exception:
            traceback.print_exc(file=sys.stderr)
        raise StopUser()


def main() -> int:
    plan = WorkerPlan.from_json(sys.stdin.readline())
    run = WorkerRun(plan)
    GatewayLoadUser.configure(run)
    environment = Environment(user_classes=[GatewayLoadUser], host=f"{plan.scheme}://{plan.host}")
    runner = environment.create_local_runner()
    runner.start(plan.users, spawn_rate=plan.users)
    if not run.wait_parked(_SPAWN_TIMEOUT_S):
        print(f"only {run.parked} of {plan.users} users started", file=sys.stderr)
        return 1
    print(READY_LINE, flush=True)
    go_line = sys.stdin.readline()
    if not go_line.startswith(GO_PREFIX):
        return 1  # the engine gave up on this run
    run.start(float(go_line[len(GO_PREFIX) :]))
    run.wait_done()
    runner.quit()
    print(run.report().to_line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
