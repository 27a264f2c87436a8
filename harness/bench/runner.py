"""Run performance scenarios against one GatewayClass and write their results."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from harness.bench.context import BenchContext, Profile, Progress
from harness.bench.sampling import sampler_for
from harness.bench.scenario import ScenarioResult, select
from harness.cluster import Cluster, ClusterError

PERFORMANCE_SCHEMA = "gateway-harness/performance-results/v1"


def check_gateway_class(cluster: Cluster, name: str) -> None:
    """The class must exist and be Accepted before any load is sent."""
    api = cluster.api_client()
    gwc: Any = {}
    try:
        gwc = client.CustomObjectsApi(api).get_cluster_custom_object(
            "gateway.networking.k8s.io", "v1", "gatewayclasses", name
        )
    except ApiException as e:
        if e.status == 404:
            raise ClusterError(
                f"GatewayClass {name!r} does not exist on the cluster",
                hint="pass --gateway-class with an installed class (`kubectl get gatewayclass`), "
                "or run `gwh reference install`",
            ) from e
        raise ClusterError(
            f"cannot read GatewayClass {name!r}: {e.reason}", hint="check the cluster"
        ) from e
    except Exception as e:
        raise ClusterError(
            f"the cluster is unreachable: {e}", hint="check `gwh cluster status` or the kubeconfig"
        ) from e
    finally:
        api.close()
    conds = {c["type"]: c["status"] for c in gwc.get("status", {}).get("conditions", [])}
    if conds.get("Accepted") != "True":
        raise ClusterError(
            f"GatewayClass {name!r} is not Accepted by its controller",
            hint="is the implementation's controller running?",
        )


def validate_overrides(duration: float | None, rate: float | None) -> None:
    if duration is not None and not duration > 0:
        raise ClusterError(
            f"--duration {duration} is not a positive number of seconds", hint="e.g. --duration 10"
        )
    if rate is not None and not rate > 0:
        raise ClusterError(f"--rate {rate} is not a positive request rate", hint="e.g. --rate 500")


def write_results(output_dir: Path, results: list[ScenarioResult], meta: dict[str, Any]) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / "performance.json"
    doc = {"schema": PERFORMANCE_SCHEMA, **meta, "scenarios": [r.to_dict() for r in results]}
    path.write_text(json.dumps(doc, indent=2))
    with open(output_dir / "performance.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["scenario", "metric", "unit", "better", "value", "samples"])
        for r in results:
            for m in r.metrics:
                writer.writerow(
                    [
                        r.name,
                        m["name"],
                        m["unit"],
                        m["better"],
                        m["value"],
                        " ".join(f"{s:g}" for s in m["samples"]),
                    ]
                )
    return path


def run_bench(
    cluster: Cluster,
    *,
    gateway_class: str,
    scenario_names: Sequence[str] = (),
    profile: str = "quick",
    output_dir: Path,
    progress: Progress,
    duration: float | None = None,
    rate: float | None = None,
) -> list[ScenarioResult]:
    """Every named scenario (default: all), one after the other; results written as they end."""
    scenarios = select(scenario_names)
    chosen_profile = Profile.named(profile)
    validate_overrides(duration, rate)
    check_gateway_class(cluster, gateway_class)
    results: list[ScenarioResult] = []
    meta = {
        "gateway_class": gateway_class,
        "profile": profile,
        "cluster": cluster.name,
        "provider": cluster.provider,
    }
    for scenario in scenarios:
        progress(f"[{scenario.name}] {scenario.description}")
        ctx = BenchContext(
            cluster,
            gateway_class,
            chosen_profile,
            output_dir,
            progress,
            duration_override=duration,
            rate_override=rate,
        )
        t0 = time.monotonic()
        # The scenario's namespaces list grows as it runs; the sampler reads it each time.
        with ctx.scoped(), sampler_for(cluster, ctx.namespaces) as sampler:
            result = scenario.run(ctx)
        usage = sampler.summary(cluster.provider)
        result.metrics += usage.metrics("scenario_implementation")
        if usage.note:
            result.notes.append(f"resource sampling: {usage.note}")
        result.parameters.setdefault("wall_seconds", round(time.monotonic() - t0, 1))
        results.append(result)
        write_results(output_dir, results, meta)
        progress(f"[{scenario.name}] done in {time.monotonic() - t0:.0f}s")
    return results
