"""Pod status as the kubelet writes it, computed from the agent's view of each container."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

Obj = dict[str, Any]
ContainerStateName = Literal["waiting", "running", "terminated"]


def timestamp(moment: dt.datetime) -> str:
    """RFC 3339 with second precision in UTC, as metav1.Time serialises."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclasses.dataclass(frozen=True)
class Termination:
    exit_code: int
    reason: str  # "Completed" (exit 0) or "Error"
    started_at: dt.datetime | None
    finished_at: dt.datetime
    container_id: str = ""

    def as_state(self) -> Obj:
        state: Obj = {
            "exitCode": self.exit_code,
            "reason": self.reason,
            "finishedAt": timestamp(self.finished_at),
        }
        if self.started_at is not None:
            state["startedAt"] = timestamp(self.started_at)
        if self.container_id:
            state["containerID"] = self.container_id
        return {"terminated": state}


@dataclasses.dataclass(frozen=True)
class ContainerView:
    """A snapshot of one container as the agent runs it."""

    name: str
    image: str
    state: ContainerStateName
    image_id: str = ""
    container_id: str = ""
    waiting_reason: str = ""
    waiting_message: str = ""
    started_at: dt.datetime | None = None
    terminated: Termination | None = None
    last_termination: Termination | None = None
    restart_count: int = 0
    ready: bool = False

    def as_status(self) -> Obj:
        state: Obj
        if self.state == "running":
            state = {
                "running": {"startedAt": timestamp(self.started_at or dt.datetime.now(dt.UTC))}
            }
        elif self.state == "terminated" and self.terminated is not None:
            state = self.terminated.as_state()
        else:
            waiting: Obj = {"reason": self.waiting_reason or "ContainerCreating"}
            if self.waiting_message:
                waiting["message"] = self.waiting_message
            state = {"waiting": waiting}
        status: Obj = {
            "name": self.name,
            "image": self.image,
            "imageID": self.image_id,
            "ready": self.ready and self.state == "running",
            "started": self.state == "running",
            "restartCount": self.restart_count,
            "state": state,
            "lastState": self.last_termination.as_state() if self.last_termination else {},
        }
        if self.container_id:
            status["containerID"] = self.container_id
        return status


def pod_phase(views: Sequence[ContainerView], restart_policy: str) -> str:
    """Pending until every container has run once; then Running, Succeeded or Failed."""
    if not views:
        return "Pending"
    never_ran = [v for v in views if v.state == "waiting" and v.last_termination is None]
    if never_ran:
        return "Pending"
    if any(v.state == "running" for v in views):
        return "Running"
    # No container runs: either they wait for a restart (back-off) or they are done for good.
    if any(v.state == "waiting" for v in views):
        return "Running"
    exit_codes = [v.terminated.exit_code for v in views if v.terminated is not None]
    if restart_policy == "Always":
        return "Running"
    if all(code == 0 for code in exit_codes):
        return "Succeeded"
    return "Failed" if restart_policy == "Never" else "Running"


def _condition(
    previous: dict[str, Obj],
    kind: str,
    status: bool,
    now: dt.datetime,
    reason: str = "",
    message: str = "",
) -> Obj:
    value = "True" if status else "False"
    old = previous.get(kind)
    changed = old is None or old.get("status") != value
    condition: Obj = {
        "type": kind,
        "status": value,
        "lastProbeTime": None,
        "lastTransitionTime": timestamp(now) if changed else old.get("lastTransitionTime"),  # type: ignore[union-attr]
    }
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def compute_pod_status(
    pod: Obj,
    views: Sequence[ContainerView],
    *,
    pod_ip: str,
    host_ip: str,
    sandbox_ready: bool,
    now: dt.datetime,
) -> Obj:
    """The Pod's `status` the agent publishes (conditions keep their lastTransitionTime)."""
    spec = pod.get("spec", {})
    old_status = pod.get("status") or {}
    previous = {c.get("type", ""): c for c in old_status.get("conditions") or []}
    phase = pod_phase(views, spec.get("restartPolicy", "Always"))
    unready = [v.name for v in views if not (v.ready and v.state == "running")]
    all_ready = not unready and phase == "Running"
    if phase == "Succeeded":
        reason, message = "PodCompleted", ""
    elif unready:
        reason, message = (
            "ContainersNotReady",
            f"containers with unready status: [{' '.join(unready)}]",
        )
    else:
        reason, message = "", ""
    conditions = [
        _condition(previous, "PodReadyToStartContainers", sandbox_ready, now),
        _condition(previous, "Initialized", True, now),
        _condition(previous, "Ready", all_ready, now, reason, message),
        _condition(previous, "ContainersReady", all_ready, now, reason, message),
        _condition(previous, "PodScheduled", True, now),
    ]
    status: Obj = {
        "phase": phase,
        "conditions": conditions,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "containerStatuses": [v.as_status() for v in views],
        "qosClass": old_status.get("qosClass", "BestEffort"),
        "startTime": old_status.get("startTime") or timestamp(now),
    }
    if pod_ip:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    return status
