"""Build a run's results.json from the files its producers wrote into the run folder.

`gwh conformance` writes `conformance-results.json` and `conformance-report.yaml`; `gwh bench`
writes `performance.json` (schema `gateway-harness/performance-results/v1`, scenarios already
in this model's shape). This joins them into one validated `results.json`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

from harness.results.adapters import from_conformance_results, implementation_from_report
from harness.results.errors import ResultsError
from harness.results.fields import FieldReader
from harness.results.model import RESULTS_FILE, PerformanceSection, RunResults, Scenario
from harness.results.run_dir import load_or_new

CONFORMANCE_RESULTS_FILE = "conformance-results.json"
CONFORMANCE_REPORT_FILE = "conformance-report.yaml"
JUNIT_FILE = "junit.xml"
PERFORMANCE_FILE = "performance.json"
PERFORMANCE_SCHEMA = "gateway-harness/performance-results/v1"
PRODUCER_FILES = (CONFORMANCE_RESULTS_FILE, CONFORMANCE_REPORT_FILE, PERFORMANCE_FILE)


def producer_files(run_dir: str | os.PathLike[str]) -> list[Path]:
    folder = Path(run_dir)
    return [folder / name for name in PRODUCER_FILES if (folder / name).is_file()]


def needs_assembly(run_dir: str | os.PathLike[str]) -> bool:
    """True when a producer's file is newer than results.json (or results.json is missing)."""
    files = producer_files(run_dir)
    results = Path(run_dir) / RESULTS_FILE
    if not files:
        return False
    if not results.is_file():
        return True
    newest = max(f.stat().st_mtime for f in files)
    return newest > results.stat().st_mtime


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ResultsError(
            f"{path} cannot be read as JSON ({e}); rerun the command that wrote it"
        ) from e


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ResultsError(
            f"{path} cannot be read as YAML ({e}); rerun the conformance suite"
        ) from e


def _performance(path: Path) -> tuple[PerformanceSection, dict[str, Any]]:
    document = _read_json(path)
    reader = FieldReader(document, "", str(path))
    schema = document.get("schema")
    if schema != PERFORMANCE_SCHEMA:
        raise ResultsError(
            f"{path} has schema {schema!r}, expected {PERFORMANCE_SCHEMA!r}; rerun gwh bench"
        )
    scenarios = [Scenario.read(s) for s in reader.objects("scenarios", [])]
    meta = {k: v for k, v in document.items() if k not in ("schema", "scenarios")}
    return PerformanceSection(scenarios), meta


def assemble_run(
    run_dir: str | os.PathLike[str], command: list[str] | None = None, *, save: bool = True
) -> RunResults:
    """Join the producers' files into the run's results (sections from files replace the ones
    already there); with `save`, write them to `run_dir/results.json`."""
    folder = Path(run_dir)
    if not producer_files(folder) and not (folder / RESULTS_FILE).is_file():
        raise ResultsError(
            f"{folder} is not a run folder (no {RESULTS_FILE}); pass a folder under reports/runs/"
        )
    run = load_or_new(folder)
    if command:
        run.command = command
    results_path = folder / CONFORMANCE_RESULTS_FILE
    report_path = folder / CONFORMANCE_REPORT_FILE
    report = _read_yaml(report_path) if report_path.is_file() else None
    if results_path.is_file():
        results = _read_json(results_path)
        if not isinstance(results, dict):
            raise ResultsError(f"{results_path} must hold a JSON object; rerun the suite")
        run.conformance = from_conformance_results(
            results, report, report_yaml=CONFORMANCE_REPORT_FILE, junit_xml=JUNIT_FILE
        )
        info = results.get("run", {})
        run.implementation.gateway_class = info.get("gatewayClass", "") or (
            run.implementation.gateway_class
        )
        run.cluster.gateway_api_version = info.get("gatewayAPIVersion", "")
        run.cluster.gateway_api_channel = info.get("gatewayAPIChannel", "")
        run.started = run.started or info.get("started", "")
        run.finished = max(run.finished, info.get("finished", ""))
    if isinstance(report, dict):
        named = implementation_from_report(report, run.implementation.gateway_class)
        if any((named.organization, named.project, named.version)):
            run.implementation = named
    performance_path = folder / PERFORMANCE_FILE
    if performance_path.is_file():
        run.performance, meta = _performance(performance_path)
        run.implementation.gateway_class = run.implementation.gateway_class or str(
            meta.get("gateway_class", "")
        )
        run.cluster.provider = run.cluster.provider or str(meta.get("provider", ""))
        run.cluster.name = run.cluster.name or str(meta.get("cluster", ""))
    if save:
        run.save(folder)
    else:
        RunResults.from_dict(json.loads(json.dumps(run.to_dict())), str(folder / RESULTS_FILE))
    return run


def load_run(run_dir: str | os.PathLike[str]) -> RunResults:
    """A run's results, joined in memory from its producers' files when they are newer than
    results.json (the folder is only read)."""
    if needs_assembly(run_dir):
        return assemble_run(run_dir, save=False)
    return RunResults.load(run_dir)
