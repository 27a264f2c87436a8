"""Per-test outcomes of a conformance run and the run's results JSON (versioned schema)."""

from __future__ import annotations

import dataclasses
import enum
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

RESULTS_SCHEMA = "gateway-harness/conformance-results/v1"


class Outcome(enum.StrEnum):
    """What happened to one conformance test (upstream's result classes plus flaky)."""

    PASSED = "passed"
    FAILED = "failed"
    # Failed once, passed on the single retry: reported, and counted as a failure.
    FLAKY = "flaky"
    SKIPPED = "skipped"
    NOT_SUPPORTED = "not-supported"
    PROVISIONAL_SKIPPED = "provisional-skipped"

    @property
    def counts_as_failure(self) -> bool:
        return self in (Outcome.FAILED, Outcome.FLAKY)


@dataclasses.dataclass
class TestResult:
    """The outcome of one conformance test."""

    __test__ = False  # not a pytest test class

    short_name: str
    outcome: Outcome
    features: frozenset[str] = frozenset()
    provisional: bool = False
    duration_seconds: float = 0.0
    message: str = ""
    attempts: int = 1
    node_id: str = ""

    @property
    def flaky(self) -> bool:
        return self.outcome is Outcome.FLAKY

    def to_json(self) -> dict[str, Any]:
        return {
            "shortName": self.short_name,
            "nodeId": self.node_id,
            "outcome": self.outcome.value,
            "flaky": self.flaky,
            "attempts": self.attempts,
            "durationSeconds": round(self.duration_seconds, 6),
            "failureMessage": self.message if self.outcome.counts_as_failure else "",
            "skipReason": "" if self.outcome.counts_as_failure else self.message,
            "features": sorted(self.features),
            "provisional": self.provisional,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TestResult:
        outcome = Outcome(data["outcome"])
        return cls(
            short_name=data["shortName"],
            outcome=outcome,
            features=frozenset(data.get("features", [])),
            provisional=bool(data.get("provisional", False)),
            duration_seconds=float(data.get("durationSeconds", 0.0)),
            message=data.get("failureMessage") or data.get("skipReason") or "",
            attempts=int(data.get("attempts", 1)),
            node_id=data.get("nodeId", ""),
        )


@dataclasses.dataclass
class RunInfo:
    """What a conformance run was pointed at."""

    gateway_class: str = ""
    gateway_api_version: str = ""
    gateway_api_channel: str = ""
    mode: str = "default"
    supported_features: frozenset[str] = frozenset()
    profiles: tuple[str, ...] = ()
    started: str = ""
    finished: str = ""


def results_document(info: RunInfo, results: Iterable[TestResult]) -> dict[str, Any]:
    """The results JSON of a run as a plain dict."""
    tests = sorted(results, key=lambda r: r.short_name)
    totals = {o.value: 0 for o in Outcome}
    for result in tests:
        totals[result.outcome.value] += 1
    return {
        "schema": RESULTS_SCHEMA,
        "run": {
            "gatewayClass": info.gateway_class,
            "gatewayAPIVersion": info.gateway_api_version,
            "gatewayAPIChannel": info.gateway_api_channel,
            "mode": info.mode,
            "supportedFeatures": sorted(info.supported_features),
            "profiles": list(info.profiles),
            "started": info.started,
            "finished": info.finished,
        },
        "totals": totals,
        "tests": [r.to_json() for r in tests],
    }


def write_results_json(
    path: str | os.PathLike[str], info: RunInfo, results: Iterable[TestResult]
) -> Path:
    """Write the results JSON; returns the path written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results_document(info, results), indent=2) + "\n")
    return target


def read_results_json(path: str | os.PathLike[str]) -> tuple[RunInfo, list[TestResult]]:
    """Read a results JSON back; ValueError if its schema is not one this code reads."""
    data = json.loads(Path(path).read_text())
    if data.get("schema") != RESULTS_SCHEMA:
        raise ValueError(f"{path}: schema {data.get('schema')!r} is not {RESULTS_SCHEMA!r}")
    run = data["run"]
    info = RunInfo(
        gateway_class=run["gatewayClass"],
        gateway_api_version=run["gatewayAPIVersion"],
        gateway_api_channel=run["gatewayAPIChannel"],
        mode=run["mode"],
        supported_features=frozenset(run["supportedFeatures"]),
        profiles=tuple(run["profiles"]),
        started=run.get("started", ""),
        finished=run.get("finished", ""),
    )
    return info, [TestResult.from_json(t) for t in data["tests"]]
