"""Performance scenarios' shared machinery: context, sampling, probing, registry, runner."""

from harness.bench.context import BenchContext, Profile
from harness.bench.probe import status_once, wait_for_status
from harness.bench.runner import PERFORMANCE_SCHEMA, check_gateway_class, run_bench
from harness.bench.sampling import ResourceSummary, sampler_for
from harness.bench.scenario import BenchScenario, ScenarioResult, available_scenarios, select

__all__ = [
    "PERFORMANCE_SCHEMA",
    "BenchContext",
    "BenchScenario",
    "Profile",
    "ResourceSummary",
    "ScenarioResult",
    "available_scenarios",
    "check_gateway_class",
    "run_bench",
    "sampler_for",
    "select",
    "status_once",
    "wait_for_status",
]
