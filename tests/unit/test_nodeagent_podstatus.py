"""Pod status computation: phase, conditions, container states, transition times."""

from __future__ import annotations

import datetime as dt
from typing import Any

from harness.cluster.local.nodeagent.podstatus import (
    ContainerView,
    Termination,
    compute_pod_status,
    pod_phase,
)

T0 = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(seconds=30)


def _pod(restart_policy: str = "Always", status: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": "p", "namespace": "n"},
        "spec": {"restartPolicy": restart_policy},
        "status": status or {},
    }


def _conditions(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in status["conditions"]}


def test_running_ready_container_makes_a_ready_pod_with_ips() -> None:
    view = ContainerView("echo", "img", "running", image_id="id", started_at=T0, ready=True)
    status = compute_pod_status(
        _pod(), [view], pod_ip="198.18.0.5", host_ip="198.18.0.1", sandbox_ready=True, now=T0
    )
    assert status["phase"] == "Running"
    assert status["podIP"] == "198.18.0.5" and status["podIPs"] == [{"ip": "198.18.0.5"}]
    assert status["hostIP"] == "198.18.0.1"
    conditions = _conditions(status)
    for kind in ("PodScheduled", "Initialized", "ContainersReady", "Ready"):
        assert conditions[kind]["status"] == "True"
    container = status["containerStatuses"][0]
    assert container["ready"] is True and container["started"] is True
    assert container["state"] == {"running": {"startedAt": "2026-01-01T12:00:00Z"}}


def test_not_ready_container_names_itself_and_transition_time_moves_only_on_change() -> None:
    view = ContainerView("echo", "img", "running", started_at=T0, ready=False)
    first = compute_pod_status(
        _pod(), [view], pod_ip="198.18.0.5", host_ip="h", sandbox_ready=True, now=T0
    )
    ready = _conditions(first)["Ready"]
    assert ready["status"] == "False" and ready["reason"] == "ContainersNotReady"
    assert "echo" in ready["message"]
    same = compute_pod_status(
        _pod(status=first), [view], pod_ip="198.18.0.5", host_ip="h", sandbox_ready=True, now=T1
    )
    assert same == first  # nothing changed: identical status, nothing to publish
    now_ready = ContainerView("echo", "img", "running", started_at=T0, ready=True)
    later = compute_pod_status(
        _pod(status=first),
        [now_ready],
        pod_ip="198.18.0.5",
        host_ip="h",
        sandbox_ready=True,
        now=T1,
    )
    assert _conditions(later)["Ready"]["lastTransitionTime"] == "2026-01-01T12:00:30Z"
    assert _conditions(later)["PodScheduled"]["lastTransitionTime"] == "2026-01-01T12:00:00Z"


def test_waiting_unknown_image_is_pending_without_ip() -> None:
    view = ContainerView(
        "web", "nginx", "waiting", waiting_reason="ImageNotRunnableLocally", waiting_message="m"
    )
    status = compute_pod_status(_pod(), [view], pod_ip="", host_ip="h", sandbox_ready=False, now=T0)
    assert status["phase"] == "Pending"
    assert "podIP" not in status
    assert status["containerStatuses"][0]["state"] == {
        "waiting": {"reason": "ImageNotRunnableLocally", "message": "m"}
    }


def test_back_off_after_a_crash_keeps_the_pod_running_with_last_state() -> None:
    crash = Termination(137, "Error", T0, T1, "gwh://x")
    view = ContainerView(
        "echo", "img", "waiting", waiting_reason="CrashLoopBackOff", last_termination=crash,
        restart_count=1,
    )  # fmt: skip
    status = compute_pod_status(
        _pod(), [view], pod_ip="ip", host_ip="h", sandbox_ready=True, now=T1
    )
    assert status["phase"] == "Running"
    container = status["containerStatuses"][0]
    assert container["restartCount"] == 1
    assert container["lastState"]["terminated"]["exitCode"] == 137


def test_phase_of_finished_containers_follows_restart_policy() -> None:
    ok = ContainerView("a", "i", "terminated", terminated=Termination(0, "Completed", T0, T1))
    failed = ContainerView("b", "i", "terminated", terminated=Termination(1, "Error", T0, T1))
    assert pod_phase([ok], "Never") == "Succeeded"
    assert pod_phase([ok, failed], "Never") == "Failed"
    assert pod_phase([ok], "OnFailure") == "Succeeded"
    assert pod_phase([], "Always") == "Pending"
