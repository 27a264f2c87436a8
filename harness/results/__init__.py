"""The run-level results model: one versioned `results.json` per run folder."""

from harness.results.adapters import (
    LOAD_QUANTITIES,
    from_conformance_results,
    implementation_from_report,
    metric_from_load_result,
    scenario_from_load_results,
    write_histogram,
)
from harness.results.assemble import assemble_run, load_run, needs_assembly
from harness.results.environment import current_environment
from harness.results.errors import ResultsError
from harness.results.model import (
    RESULTS_FILE,
    SCHEMA,
    ClusterInfo,
    ConformanceSection,
    CoreLevel,
    Environment,
    ExtendedLevel,
    Implementation,
    Metric,
    PerformanceSection,
    ProfileResult,
    RunResults,
    Scenario,
    Series,
    TestOutcome,
)
from harness.results.run_dir import find_run_dirs, load_or_new, new_run_dir, new_run_id

__all__ = [
    "LOAD_QUANTITIES",
    "RESULTS_FILE",
    "SCHEMA",
    "ClusterInfo",
    "ConformanceSection",
    "CoreLevel",
    "Environment",
    "ExtendedLevel",
    "Implementation",
    "Metric",
    "PerformanceSection",
    "ProfileResult",
    "ResultsError",
    "RunResults",
    "Scenario",
    "Series",
    "TestOutcome",
    "assemble_run",
    "current_environment",
    "find_run_dirs",
    "from_conformance_results",
    "implementation_from_report",
    "load_or_new",
    "load_run",
    "metric_from_load_result",
    "needs_assembly",
    "new_run_dir",
    "new_run_id",
    "scenario_from_load_results",
    "write_histogram",
]
