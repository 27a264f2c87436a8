"""The conformance suite fails broken implementations: one injected fault at a time.

For each fault of ``reference_impl/controller/faults.py`` a second reference controller
runs with ``--fault X`` under a controller name and GatewayClass of its own; one chosen
scenario is run through the plugin in a subprocess (``pytest suites/conformance
--gateway-class <faulty class> --run-test <ShortName>``) and must FAIL with a message
naming the broken thing. A control run of the same scenarios against an unfaulted
instance passes.

Safe design for the shared base: the base namespaces and Gateways have fixed names and
take the GatewayClass under test by substitution, so two runs with different classes
on one cluster would re-point each other's Gateways. Every run therefore holds a
cluster-wide file lock for its whole life and removes its base at the end (the
plugin's default ``--cleanup-base-resources=true``, which waits until the namespaces
are gone), so runs follow one another and each starts from a clean cluster.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from harness.cluster.local.state import state_root

REPO = Path(__file__).resolve().parents[2]
GROUP, VERSION = "gateway.networking.k8s.io", "v1"
# Short bounds: a broken implementation must fail fast, a working one converges in seconds.
FAST_TIMEOUTS = ";".join(
    [
        "NamespacesMustBeReady:90",
        "GatewayMustHaveCondition:30",
        "GatewayStatusMustHaveListeners:30",
        "GatewayListenersMustHaveConditions:30",
        "HTTPRouteMustHaveCondition:30",
        "RouteMustHaveParents:30",
        "LatestObservedGenerationSet:30",
        "MaxTimeToConsistency:20",
    ]
)


@dataclass
class RunResult:
    """What one conformance subprocess did."""

    exit_code: int
    output: str
    tests: dict[str, dict[str, Any]]

    def outcome(self, short_name: str) -> str:
        return str(self.tests.get(short_name, {}).get("outcome", "missing"))

    def message(self, short_name: str) -> str:
        test = self.tests.get(short_name, {})
        return str(test.get("failureMessage") or test.get("skipReason") or "")


@contextlib.contextmanager
def base_lock(cluster_name: str) -> Iterator[None]:
    """Hold the cluster-wide conformance-base lock (see the module docstring)."""
    state_root().mkdir(parents=True, exist_ok=True)
    with open(state_root() / f".{cluster_name}.conformance-base.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextlib.contextmanager
def controller_instance(
    api: Any, kubeconfig: str, label: str, log_dir: Path, fault: str = ""
) -> Iterator[str]:
    """A reference controller process and its GatewayClass; yields the class name."""
    suffix = uuid.uuid4().hex[:6]
    class_name = f"gwh-{label}-{suffix}"
    controller_name = f"gateway-harness.dev/{label}-{suffix}"
    custom: Any = client.CustomObjectsApi(api)
    custom.create_cluster_custom_object(
        GROUP,
        VERSION,
        "gatewayclasses",
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "GatewayClass",
            "metadata": {"name": class_name},
            "spec": {"controllerName": controller_name},
        },
    )
    command = [
        sys.executable,
        "-m",
        "reference_impl.controller",
        "--kubeconfig",
        kubeconfig,
        "--controller-name",
        controller_name,
        "--gateway-class-name",
        class_name,
    ]
    if fault:
        command += ["--fault", fault]
    log = open(log_dir / f"{class_name}.log", "w")  # noqa: SIM115 - closed in finally
    process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield class_name
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        with contextlib.suppress(ApiException):
            custom.delete_cluster_custom_object(GROUP, VERSION, "gatewayclasses", class_name)


def run_conformance(
    kubeconfig: str, gateway_class: str, out_dir: Path, *args: str, timeout: float = 900
) -> RunResult:
    """``pytest suites/conformance`` against ``gateway_class``; no retries, short timeouts."""
    results = out_dir / f"results-{uuid.uuid4().hex[:6]}.json"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "suites/conformance",
        "--gateway-class",
        gateway_class,
        "--kubeconfig",
        kubeconfig,
        "--results-output",
        str(results),
        "--conformance-retries",
        "0",
        "--timeout-config-overrides",
        FAST_TIMEOUTS,
        "-p",
        "no:cacheprovider",
        "-q",
        *args,
    ]
    done = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = done.stdout + done.stderr
    tests: dict[str, dict[str, Any]] = {}
    if results.exists():
        tests = {t["shortName"]: t for t in json.loads(results.read_text())["tests"]}
    return RunResult(done.returncode, output, tests)


def wait_gone(api: Any, namespace: str, timeout: float = 120) -> bool:
    """True once ``namespace`` does not exist (False if it is still there at the deadline)."""
    core: Any = client.CoreV1Api(api)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            core.read_namespace(namespace)
        except ApiException as exc:
            if exc.status == 404:
                return True
            raise
        time.sleep(1)
    return False


pytestmark = [pytest.mark.integration]

# fault -> (scenario, words its failure message must contain)
FAULT_CASES = [
    pytest.param(
        "stale-observed-generation",
        "HTTPRouteSimpleSameNamespace",
        ["observedGeneration"],
        id="stale-observed-generation",
    ),
    pytest.param(
        "wrong-reason",
        "HTTPRouteInvalidNonExistentBackendRef",
        ["BackendNotFound", "RefNotPermitted"],
        id="wrong-reason",
    ),
    pytest.param(
        "missing-attached-routes",
        "GatewayWithAttachedRoutes",
        ["attachedRoutes"],
        id="missing-attached-routes",
    ),
    pytest.param(
        "wrong-precedence",
        "HTTPRouteExactPathMatching",
        ["expected status [404], got 200", "infra-backend-v1"],
        id="wrong-precedence",
    ),
    pytest.param(
        "ignores-allowed-listeners",
        "ListenerSetDefaultNotAllowed",
        ["Accepted=False/NotAllowed"],
        id="ignores-allowed-listeners",
    ),
]
CONTROL_SCENARIOS = {
    "HTTPRouteSimpleSameNamespace": "test_httproute_simple_same_namespace",
    "HTTPRouteInvalidNonExistentBackendRef": "test_httproute_invalid_non_existent_backend_ref",
    "GatewayWithAttachedRoutes": "test_gateway_with_attached_routes",
    "HTTPRouteExactPathMatching": "test_httproute_exact_path_matching",
    "ListenerSetDefaultNotAllowed": "test_listenerset_default_not_allowed",
}


@pytest.mark.parametrize(("fault", "scenario", "needles"), FAULT_CASES)
def test_suite_fails_the_faulty_implementation(
    local_cluster: Any, tmp_path: Path, fault: str, scenario: str, needles: list[str]
) -> None:
    api = local_cluster.api_client()
    kubeconfig = str(local_cluster.kubeconfig)
    with base_lock(local_cluster.name):
        with controller_instance(
            api, kubeconfig, f"faulty-{fault}", tmp_path, fault
        ) as gateway_class:
            run = run_conformance(
                kubeconfig, gateway_class, tmp_path, "--run-test", scenario, "--all-features"
            )
        assert wait_gone(api, "gateway-conformance-infra"), "the run left its base behind"
    assert run.outcome(scenario) == "failed", (
        f"{scenario} must fail against fault {fault}, got {run.outcome(scenario)}:\n"
        + run.output[-3000:]
    )
    assert run.exit_code == 1, run.output[-3000:]
    message = run.message(scenario)
    missing = [n for n in needles if n not in message]
    assert not missing, f"failure message lacks {missing}:\n{message}"


def test_the_same_scenarios_pass_without_a_fault(local_cluster: Any, tmp_path: Path) -> None:
    api = local_cluster.api_client()
    kubeconfig = str(local_cluster.kubeconfig)
    selection = " or ".join(CONTROL_SCENARIOS.values())
    with base_lock(local_cluster.name):
        with controller_instance(api, kubeconfig, "control", tmp_path) as gateway_class:
            run = run_conformance(
                kubeconfig,
                gateway_class,
                tmp_path,
                "--supported-features",
                "Gateway,HTTPRoute,ListenerSet",
                "-k",
                selection,
            )
        assert wait_gone(api, "gateway-conformance-infra"), "the run left its base behind"
    outcomes = {name: run.outcome(name) for name in CONTROL_SCENARIOS}
    assert outcomes == dict.fromkeys(CONTROL_SCENARIOS, "passed"), run.output[-3000:]
    assert run.exit_code == 0
