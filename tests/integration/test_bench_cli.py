"""`gwh bench` against the reference implementation on the local cluster, and its bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import LocalClusterHandle

pytestmark = pytest.mark.integration


def gwh(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def reference(local_cluster: LocalClusterHandle) -> Iterator[str]:
    # Idempotent, so every xdist worker may call it. No uninstall here: another worker may
    # still be using the class; stopping the session's cluster stops the controller too.
    result = gwh("reference", "install", "--name", local_cluster.name)
    assert result.returncode == 0, result.stderr
    yield "gateway-harness"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["warp-speed"], "unknown scenario 'warp-speed'"),
        (["route-churn", "--duration", "0"], "--duration 0.0 is not a positive"),
        (["route-churn", "--rate", "-5"], "--rate -5.0 is not a positive"),
        (
            ["route-churn", "--gateway-class", "no-such-class"],
            "GatewayClass 'no-such-class' does not exist",
        ),
    ],
)
def test_bad_input_is_one_clear_message(
    local_cluster: LocalClusterHandle,
    reference: str,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    result = gwh("bench", "--name", local_cluster.name, "--quick", "--output", str(tmp_path), *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "performance.json").exists()


def test_bench_needs_a_running_cluster(tmp_path: Path) -> None:
    result = gwh("bench", "--name", "no-such-cluster", "--output", str(tmp_path))
    assert result.returncode == 1
    assert "no local cluster named 'no-such-cluster'" in result.stderr


def test_route_churn_and_provisioning_write_their_results(
    local_cluster: LocalClusterHandle, reference: str, tmp_path: Path
) -> None:
    result = gwh(
        "bench",
        "--name",
        local_cluster.name,
        "--quick",
        "--output",
        str(tmp_path),
        "--duration",
        "3",
        "--rate",
        "50",
        "route-churn",
        "gateway-provisioning",
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "performance.json").read_text())
    scenarios = {s["name"]: s for s in doc["scenarios"]}
    assert set(scenarios) == {"route-churn", "gateway-provisioning"}
    churn = {m["name"]: m for m in scenarios["route-churn"]["metrics"]}
    # Every non-2xx is counted and classified: the total equals the sum over its classes.
    classes = scenarios["route-churn"]["parameters"]["errors_by_class"]
    assert churn["non_2xx_total"]["value"] == sum(classes.values())
    assert churn["steady_rps"]["value"] > 0
    assert scenarios["route-churn"]["parameters"]["route_changes"] > 0
    # The raw latency histogram of the paced run is kept beside the results.
    histogram = tmp_path / scenarios["route-churn"]["histograms"]["steady"]
    assert histogram.is_file()
    assert histogram.read_text().strip()
    # CPU and memory of the implementation were sampled during every scenario.
    for scenario in scenarios.values():
        names = {m["name"] for m in scenario["metrics"]}
        assert "scenario_implementation_rss_mib_max" in names, scenario["name"]
        assert "scenario_implementation_cpu_cores_mean" in names, scenario["name"]
    provisioning = {m["name"]: m for m in scenarios["gateway-provisioning"]["metrics"]}
    assert len(provisioning["create_to_first_200"]["samples"]) == 2
    assert all(s > 0 for s in provisioning["create_to_first_200"]["samples"])
    # Nothing the run created is left in the cluster.
    from kubernetes import client

    # (Scoped to this run's scenarios: another xdist worker may be benchmarking meanwhile.)
    namespaces = client.CoreV1Api(local_cluster.api_client()).list_namespace().items
    ours = ("gwh-bench-churn-", "gwh-bench-provision-")
    assert not [n.metadata.name for n in namespaces if n.metadata.name.startswith(ours)]


def test_sigterm_mid_run_removes_what_the_run_created(
    local_cluster: LocalClusterHandle, reference: str, tmp_path: Path
) -> None:
    import signal
    import time

    from kubernetes import client

    core = client.CoreV1Api(local_cluster.api_client())

    def bench_namespaces() -> list[str]:
        return [
            n.metadata.name
            for n in core.list_namespace().items
            # latency-curve is run by no other test, so another xdist worker cannot interfere.
            if n.metadata.name.startswith("gwh-bench-curve-")
        ]

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "bench",
            "--name",
            local_cluster.name,
            "--quick",
            "--output",
            str(tmp_path),
            "--duration",
            "30",
            "latency-curve",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not bench_namespaces() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert bench_namespaces(), "the run never created its namespace"
    time.sleep(3)  # well inside the run
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    assert bench_namespaces() == []


def test_grpc_and_tls_benchmarks_measure_the_reference(
    local_cluster: LocalClusterHandle, reference: str, tmp_path: Path
) -> None:
    result = gwh(
        "bench",
        "--name",
        local_cluster.name,
        "--quick",
        "--output",
        str(tmp_path),
        "--duration",
        "2",
        "grpc-throughput",
        "tls-handshakes",
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "performance.json").read_text())
    metrics = {m["name"]: m for s in doc["scenarios"] for m in s["metrics"]}
    for name in ("grpc_rps", "https_handshakes_per_s", "passthrough_handshakes_per_s"):
        assert metrics[name]["value"] > 0, name
    for name in ("grpc_errors", "https_errors", "passthrough_errors"):
        assert metrics[name]["value"] == 0, name
