"""Running the Pods bound to this node: sandboxes, container processes, status and deletion."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from kubernetes import client

import harness
from harness.cluster.local import network
from harness.cluster.local.images import ImageRegistry
from harness.cluster.local.nodeagent.envresolve import (
    ContainerConfigError,
    expand_all,
    resolve_env,
)
from harness.cluster.local.nodeagent.ipam import PodIPAllocator
from harness.cluster.local.nodeagent.kubeapi import is_status, raw
from harness.cluster.local.nodeagent.podstatus import (
    ContainerView,
    Termination,
    compute_pod_status,
)
from harness.cluster.local.nodeagent.probes import ReadinessCheck, readiness_check, run_check
from harness.cluster.local.nodeagent.processes import (
    ProcessMonitor,
    Scheduler,
    launch_argv,
    start_process,
)
from harness.cluster.local.nodeagent.volumes import (
    container_mounts,
    ensure_mountpoint,
    prepare_volumes,
)
from harness.cluster.local.state import ClusterState

log = logging.getLogger(__name__)

Obj = dict[str, Any]
MERGE_PATCH = "application/merge-patch+json"
UNKNOWN_IMAGE_REASON = "ImageNotRunnableLocally"
# Restart back-off: 1 s doubling up to 5 min (the kubelet starts at 10 s; tests and users of a
# local cluster want a killed echo server back quickly), reset after 10 min of running.
BACKOFF_START, BACKOFF_MAX, BACKOFF_RESET_AFTER = 1.0, 300.0, 600.0
CONFIG_RETRY_SECONDS = 2.0
PROJECT_ROOT = str(Path(harness.__file__).resolve().parent.parent)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def exit_code_of(returncode: int) -> int:
    """Popen's negative "killed by signal" codes become the shell-style 128+N the kubelet shows."""
    return 128 - returncode if returncode < 0 else returncode


@dataclasses.dataclass
class PodContext:
    """What every pod runner shares."""

    state: ClusterState
    registry: ImageRegistry
    core: client.CoreV1Api
    ipam: PodIPAllocator
    scheduler: Scheduler
    monitor: ProcessMonitor
    executor: ThreadPoolExecutor
    on_released: Callable[[str], None]

    @property
    def host_ip(self) -> str:
        return self.state.network.gateway_ip

    def lookup(self, kind: str, namespace: str, name: str) -> Obj | None:
        read = (
            self.core.read_namespaced_secret
            if kind == "secret"
            else self.core.read_namespaced_config_map
        )
        try:
            return raw(read(name, namespace, _preload_content=False))
        except Exception as exc:
            if is_status(exc, 404):
                return None
            raise


class ContainerRuntime:
    """One container of a pod: its process, restarts and readiness."""

    def __init__(self, spec: Obj, argv: list[str] | None) -> None:
        self.spec = spec
        self.name: str = spec["name"]
        self.image: str = spec.get("image", "")
        self.argv = argv
        self.image_id = f"gwh-local://{self.image}" if argv is not None else ""
        self.check: ReadinessCheck = readiness_check(spec)
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at: dt.datetime | None = None
        self.started_monotonic = 0.0
        self.container_id = ""
        self.restart_count = 0
        self.last_termination: Termination | None = None
        self.termination: Termination | None = None  # final: will not run again
        self.waiting_reason = "ContainerCreating"
        self.waiting_message = ""
        self.ready = False
        self.restart_at: float | None = None
        self.backoff = BACKOFF_START
        self.probe_generation = 0
        self.successes = 0
        self.failures = 0
        self.killed = False

    def view(self) -> ContainerView:
        if self.proc is not None:
            state = "running"
        elif self.termination is not None:
            state = "terminated"
        else:
            state = "waiting"
        return ContainerView(
            name=self.name,
            image=self.image,
            state=state,  # type: ignore[arg-type]
            image_id=self.image_id,
            container_id=self.container_id,
            waiting_reason=self.waiting_reason,
            waiting_message=self.waiting_message,
            started_at=self.started_at,
            terminated=self.termination,
            last_termination=self.last_termination,
            restart_count=self.restart_count,
            ready=self.ready,
        )

    def signal(self, signum: int) -> None:
        # Unreaped (we reap only in the exit callback, under the pod lock), so the pid is ours.
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signum)


class PodRunner:
    """Drives one Pod towards its spec; every change goes through `request_sync`."""

    def __init__(self, ctx: PodContext, pod: Obj) -> None:
        self.ctx = ctx
        meta = pod["metadata"]
        self.uid: str = meta["uid"]
        self.namespace: str = meta.get("namespace", "")
        self.name: str = meta["name"]
        self.pod = pod
        self.lock = threading.RLock()
        self._sync_scheduled = False
        self._dirty = False
        self.containers: dict[str, ContainerRuntime] = {}
        self.sandbox: network.PodSandbox | None = None
        self.volume_folders: dict[str, Path] | None = None
        self.config_error = ""
        self.terminating = False
        self.kill_deadline = 0.0
        self.gone = False
        self.released = False
        self.last_status: Obj | None = None
        self.pod_dir = (
            ctx.state.node_agent_dir / "pods" / f"{self.namespace}_{self.name}_{self.uid}"
        )

    # --- scheduling ---------------------------------------------------------------------------
    def update(self, pod: Obj) -> None:
        with self.lock:
            self.pod = pod
        self.request_sync()

    def mark_gone(self) -> None:
        with self.lock:
            self.gone = True
        self.request_sync()

    def request_sync(self) -> None:
        with self.lock:
            if self.released:
                return
            if self._sync_scheduled:
                self._dirty = True
                return
            self._sync_scheduled = True
        self.ctx.executor.submit(self._sync_loop)

    def _sync_loop(self) -> None:
        while True:
            with self.lock:
                self._dirty = False
            try:
                self._sync()
            except Exception:
                log.exception("pod %s/%s: sync failed; retrying", self.namespace, self.name)
                self.ctx.scheduler.call_later(CONFIG_RETRY_SECONDS, self.request_sync)
            with self.lock:
                if not self._dirty:
                    self._sync_scheduled = False
                    return

    # --- the sync step ------------------------------------------------------------------------
    def _sync(self) -> None:
        with self.lock:
            if self.released:
                return
            if self.gone or self.pod["metadata"].get("deletionTimestamp"):
                release = self._sync_terminating()
                status = None
            else:
                release = False
                self._sync_running()
                status = self._status()
        if release:
            self._release()
        elif status is not None:
            self._publish(status)

    def _sync_running(self) -> None:
        spec = self.pod.get("spec", {})
        if not self.containers:
            if spec.get("initContainers"):
                log.info("pod %s/%s: initContainers are not run locally", self.namespace, self.name)
            for c in spec.get("containers") or []:
                self.containers[c["name"]] = ContainerRuntime(
                    c, self.ctx.registry.command_for(c.get("image", ""), None)
                )
        unknown = [rt for rt in self.containers.values() if rt.argv is None]
        if unknown:
            for rt in self.containers.values():
                if rt.argv is None:
                    rt.waiting_reason = UNKNOWN_IMAGE_REASON
                    rt.waiting_message = self.ctx.registry.unknown_image_message(rt.image)
                else:
                    rt.waiting_reason = "ContainerCreating"
                    rt.waiting_message = (
                        f"not started: container {unknown[0].name}'s image cannot run locally"
                    )
            return
        if self.sandbox is None:
            ip = self.ctx.ipam.allocate(self.uid)
            sandbox = network.sandbox_for(self.ctx.state, self.uid, ip)
            network.create_pod_sandbox(self.ctx.state, sandbox)
            self.sandbox = sandbox
        if self.volume_folders is None:
            try:
                self.volume_folders = prepare_volumes(
                    self.pod, self.pod_dir,
                    secrets=lambda ns, n: self.ctx.lookup("secret", ns, n),
                    config_maps=lambda ns, n: self.ctx.lookup("configmap", ns, n),
                )  # fmt: skip
            except ContainerConfigError as exc:
                self._config_failed(str(exc))
                return
        now = time.monotonic()
        for rt in self.containers.values():
            if rt.proc is not None or rt.termination is not None:
                continue
            if rt.restart_at is not None and now < rt.restart_at:
                continue
            try:
                self._start(rt)
            except ContainerConfigError as exc:
                self._config_failed(str(exc), rt)

    def _config_failed(self, message: str, only: ContainerRuntime | None = None) -> None:
        for rt in [only] if only else self.containers.values():
            if rt.proc is None:
                rt.waiting_reason, rt.waiting_message = "CreateContainerConfigError", message
        self.ctx.scheduler.call_later(CONFIG_RETRY_SECONDS, self.request_sync)

    def _base_env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": "/root",
            "HOSTNAME": self.name,
            "PYTHONPATH": PROJECT_ROOT,
            "PYTHONUNBUFFERED": "1",  # log lines reach the log file (and `kubectl logs`) at once
        }

    def _start(self, rt: ContainerRuntime) -> None:
        assert self.sandbox is not None and rt.argv is not None
        env = self._base_env()
        env.update(
            resolve_env(
                rt.spec, self.pod,
                pod_ip=self.sandbox.ip, host_ip=self.ctx.host_ip,
                secrets=lambda ns, n: self.ctx.lookup("secret", ns, n),
                config_maps=lambda ns, n: self.ctx.lookup("configmap", ns, n),
            )
        )  # fmt: skip
        argv = rt.argv + expand_all(rt.spec.get("args"), env)
        mounts = container_mounts(rt.spec, self.volume_folders or {})
        for mount in mounts:
            ensure_mountpoint(mount, lambda p: network.record_created_mountpoint(self.ctx.state, p))
        log_path = self.log_path(rt.name)
        if log_path.exists():
            log_path.replace(self.log_path(rt.name, previous=True))
        if rt.last_termination is not None:
            rt.restart_count += 1
        proc = start_process(
            launch_argv(self.sandbox.netns_path, argv, mounts), env, self.pod_dir, log_path
        )
        rt.proc = proc
        rt.started_at = _now()
        rt.started_monotonic = time.monotonic()
        rt.container_id = f"gwh://{self.uid[:8]}-{rt.name}-{rt.restart_count}"
        rt.waiting_reason, rt.waiting_message = "", ""
        rt.restart_at = None
        rt.ready = False
        rt.successes = rt.failures = 0
        rt.probe_generation += 1
        generation = rt.probe_generation
        log.info(
            "pod %s/%s: started container %s (pid %d, ip %s)",
            self.namespace, self.name, rt.name, proc.pid, self.sandbox.ip,
        )  # fmt: skip
        self.ctx.monitor.watch(proc.pid, lambda: self._on_exit(rt, proc))
        self.ctx.scheduler.call_later(
            rt.check.initial_delay, lambda: self._submit_probe(rt, generation)
        )

    # --- process exits and probes -------------------------------------------------------------
    def _on_exit(self, rt: ContainerRuntime, proc: subprocess.Popen[bytes]) -> None:
        with self.lock:
            code = exit_code_of(proc.wait())
            if rt.proc is not proc:
                return
            ran_for = time.monotonic() - rt.started_monotonic
            term = Termination(
                code, "Completed" if code == 0 else "Error", rt.started_at, _now(), rt.container_id
            )
            rt.proc = None
            rt.ready = False
            rt.probe_generation += 1
            policy = self.pod.get("spec", {}).get("restartPolicy", "Always")
            restart = not self.terminating and (
                policy == "Always" or (policy == "OnFailure" and code != 0)
            )
            log.info(
                "pod %s/%s: container %s exited with %d%s",
                self.namespace, self.name, rt.name, code, " (restarting)" if restart else "",
            )  # fmt: skip
            if not restart:
                rt.termination = term
            else:
                rt.last_termination = term
                if ran_for > BACKOFF_RESET_AFTER:
                    rt.backoff = BACKOFF_START
                delay = rt.backoff
                rt.backoff = min(rt.backoff * 2, BACKOFF_MAX)
                rt.restart_at = time.monotonic() + delay
                rt.waiting_reason = "CrashLoopBackOff"
                rt.waiting_message = (
                    f"back-off {delay:g}s restarting failed container={rt.name} "
                    f"pod={self.name}_{self.namespace}({self.uid})"
                )
                self.ctx.scheduler.call_at(rt.restart_at, self.request_sync)
        self.request_sync()

    def _submit_probe(self, rt: ContainerRuntime, generation: int) -> None:
        if rt.probe_generation == generation and not self.released:
            self.ctx.executor.submit(self._probe, rt, generation)

    def _probe(self, rt: ContainerRuntime, generation: int) -> None:
        sandbox = self.sandbox
        if sandbox is None or rt.probe_generation != generation or self.terminating:
            return
        ok = run_check(rt.check, sandbox.ip)
        changed = False
        with self.lock:
            if rt.probe_generation != generation:
                return
            if ok:
                rt.successes, rt.failures = rt.successes + 1, 0
                if not rt.ready and rt.successes >= rt.check.success_threshold:
                    rt.ready = changed = True
            else:
                rt.successes, rt.failures = 0, rt.failures + 1
                if rt.ready and rt.failures >= rt.check.failure_threshold:
                    rt.ready, changed = False, True
            ready = rt.ready
        if changed:
            self.request_sync()
        if rt.check.explicit:
            # Until the first success probe at least every second, so pods become ready fast.
            delay = rt.check.period if ready else min(rt.check.period, 1.0)
        elif ready:
            return  # the default check only gates the first readiness
        else:
            delay = rt.check.period
        self.ctx.scheduler.call_later(delay, lambda: self._submit_probe(rt, generation))

    # --- deletion -----------------------------------------------------------------------------
    def grace_seconds(self) -> float:
        meta, spec = self.pod.get("metadata", {}), self.pod.get("spec", {})
        grace = meta.get("deletionGracePeriodSeconds")
        if grace is None:
            grace = spec.get("terminationGracePeriodSeconds", 30)
        return float(grace)

    def _sync_terminating(self) -> bool:
        """Stop the containers (TERM, then KILL after the grace period); True once all stopped."""
        if not self.terminating:
            self.terminating = True
            self.kill_deadline = time.monotonic() + self.grace_seconds()
            for rt in self.containers.values():
                rt.restart_at = None
                rt.signal(signal.SIGTERM)
            self.ctx.scheduler.call_at(self.kill_deadline, self.request_sync)
        alive = [rt for rt in self.containers.values() if rt.proc is not None]
        if not alive:
            return True
        if time.monotonic() >= self.kill_deadline:
            for rt in alive:
                if not rt.killed:
                    rt.killed = True
                    rt.signal(signal.SIGKILL)
        return False

    def _teardown(self) -> None:
        if self.sandbox is not None:
            network.delete_pod_sandbox(self.sandbox)
            self.sandbox = None
        self.ctx.ipam.release(self.uid)
        shutil.rmtree(self.pod_dir, ignore_errors=True)

    def _release(self) -> None:
        with self.lock:
            if self.released:
                return
            self._teardown()
            self.released = True
        if not self.gone:
            try:
                self.ctx.core.delete_namespaced_pod(
                    self.name,
                    self.namespace,
                    body=client.V1DeleteOptions(
                        grace_period_seconds=0, preconditions=client.V1Preconditions(uid=self.uid)
                    ),
                    grace_period_seconds=0,
                )
            except Exception as exc:
                if not is_status(exc, 404, 409):
                    log.warning(
                        "pod %s/%s: final delete failed: %s", self.namespace, self.name, exc
                    )
        log.info("pod %s/%s: stopped and released", self.namespace, self.name)
        self.ctx.on_released(self.uid)

    def shutdown(self) -> None:
        """Agent shutdown: TERM every process (the caller waits, then calls `kill_and_teardown`)."""
        with self.lock:
            self.terminating = True
            for rt in self.containers.values():
                rt.restart_at = None
                rt.signal(signal.SIGTERM)

    def running(self) -> bool:
        with self.lock:
            return any(rt.proc is not None for rt in self.containers.values())

    def kill_and_teardown(self) -> None:
        with self.lock:
            for rt in self.containers.values():
                rt.signal(signal.SIGKILL)
                if rt.proc is not None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        rt.proc.wait(timeout=2)
            self._teardown()
            self.released = True

    # --- status -------------------------------------------------------------------------------
    def _status(self) -> Obj:
        pod = dict(self.pod)
        if self.last_status is not None:
            pod["status"] = self.last_status
        return compute_pod_status(
            pod,
            [rt.view() for rt in self.containers.values()],
            pod_ip=self.sandbox.ip if self.sandbox else "",
            host_ip=self.ctx.host_ip,
            sandbox_ready=self.sandbox is not None,
            now=_now(),
        )

    def _publish(self, status: Obj) -> None:
        if status == self.last_status:
            return
        try:
            self.ctx.core.patch_namespaced_pod_status(
                self.name, self.namespace, {"status": status}, _content_type=MERGE_PATCH
            )
        except Exception as exc:
            if is_status(exc, 404):
                return  # deleted meanwhile: the DELETED event follows
            raise
        with self.lock:
            self.last_status = status

    def log_path(self, container: str, *, previous: bool = False) -> Path:
        suffix = ".previous.log" if previous else ".log"
        return self.pod_dir / "logs" / f"{container}{suffix}"


class PodManager:
    """Keeps one PodRunner per Pod bound to this node, fed by the pod informer."""

    def __init__(self, ctx_factory: Callable[[Callable[[str], None]], PodContext]) -> None:
        self.ctx = ctx_factory(self._released)
        self._runners: dict[str, PodRunner] = {}
        self._recently_released: collections.deque[str] = collections.deque(maxlen=4096)
        self._lock = threading.Lock()

    def handle(self, event_type: str, pod: Obj) -> None:
        uid = pod["metadata"]["uid"]
        with self._lock:
            runner = self._runners.get(uid)
            if event_type == "DELETED":
                if runner is not None:
                    runner.mark_gone()
                return
            if runner is None:
                if uid in self._recently_released:
                    return
                phase = (pod.get("status") or {}).get("phase")
                if phase in ("Succeeded", "Failed") and not pod["metadata"].get(
                    "deletionTimestamp"
                ):
                    return  # finished before this agent started: nothing to run
                runner = PodRunner(self.ctx, pod)
                self._runners[uid] = runner
        runner.update(pod)

    def _released(self, uid: str) -> None:
        with self._lock:
            self._runners.pop(uid, None)
            self._recently_released.append(uid)

    def runners(self) -> list[PodRunner]:
        with self._lock:
            return list(self._runners.values())

    def find(self, namespace: str, name: str) -> PodRunner | None:
        for runner in self.runners():
            if runner.namespace == namespace and runner.name == name:
                return runner
        return None

    def shutdown(self, timeout: float) -> None:
        """Stop every pod process (TERM, wait up to `timeout`, KILL) and remove its sandbox."""
        runners = self.runners()
        for runner in runners:
            runner.shutdown()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(r.running() for r in runners):
            time.sleep(0.05)
        for runner in runners:
            runner.kill_and_teardown()
