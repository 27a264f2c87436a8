"""The upstream ConformanceReport (apiVersion gateway.networking.k8s.io/v1) and its YAML writer."""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from harness.conformance.catalog import Catalog, ProfileLevel
from harness.conformance.results import Outcome, TestResult

API_VERSION = "gateway.networking.k8s.io/v1"
KIND = "ConformanceReport"


@dataclasses.dataclass(frozen=True)
class Implementation:
    """Who is being certified (the report's ``implementation`` block)."""

    organization: str = ""
    project: str = ""
    url: str = ""
    version: str = ""
    contact: tuple[str, ...] = ()

    def missing_fields(self) -> list[str]:
        """Names of the fields upstream requires before it writes a report."""
        missing = [
            name
            for name in ("organization", "project", "url", "version")
            if not getattr(self, name)
        ]
        if not self.contact:
            missing.append("contact")
        return missing

    def to_dict(self) -> dict[str, Any]:
        return {
            "organization": self.organization,
            "project": self.project,
            "url": self.url,
            "version": self.version,
            "contact": list(self.contact),
        }


@dataclasses.dataclass
class LevelStatus:
    """One level (core or extended) of one profile."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failed_tests: list[str] = dataclasses.field(default_factory=list)
    skipped_tests: list[str] = dataclasses.field(default_factory=list)

    @property
    def result(self) -> str:
        """Upstream rule: failure if any failed, else partial if any skipped, else success."""
        if self.failed:
            return "failure"
        if self.skipped:
            return "partial"
        return "success"

    @property
    def counted(self) -> int:
        return self.passed + self.failed + self.skipped

    def summary(self) -> str:
        if self.failed:
            return f"failed with {self.failed} test failures"
        if self.skipped:
            return f"partially succeeded with {self.skipped} test skips"
        return "succeeded"

    def add(self, result: TestResult) -> None:
        if result.outcome is Outcome.PASSED:
            self.passed += 1
        elif result.outcome.counts_as_failure:
            self.failed += 1
            self.failed_tests.append(result.short_name)
        elif result.outcome is Outcome.SKIPPED:
            self.skipped += 1
            self.skipped_tests.append(result.short_name)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "result": self.result,
            "statistics": {"Passed": self.passed, "Failed": self.failed, "Skipped": self.skipped},
        }
        if self.skipped_tests:
            out["skippedTests"] = sorted(self.skipped_tests)
        if self.failed_tests:
            out["failedTests"] = sorted(self.failed_tests)
        return out


@dataclasses.dataclass
class ProfileReport:
    """One entry of the report's ``profiles`` list."""

    name: str
    core: LevelStatus
    extended: LevelStatus
    supported_features: list[str]
    unsupported_features: list[str]

    @property
    def summary(self) -> str:
        text = "Core tests " + self.core.summary()
        if self.extended.counted:
            text += ". Extended tests " + self.extended.summary()
        return text + "."

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "summary": self.summary,
            "core": self.core.to_dict(),
        }
        # Upstream writes the extended block only when an extended test was counted.
        if self.extended.counted:
            ext = self.extended.to_dict()
            if self.supported_features:
                ext["supportedFeatures"] = self.supported_features
            if self.unsupported_features:
                ext["unsupportedFeatures"] = self.unsupported_features
            out["extended"] = ext
        return out


@dataclasses.dataclass
class ConformanceReport:
    """The whole report, ready to be written as upstream-compatible YAML."""

    implementation: Implementation
    date: str
    gateway_api_version: str
    gateway_api_channel: str
    mode: str
    profiles: list[ProfileReport]
    succeeded_provisional_tests: list[str]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "implementation": self.implementation.to_dict(),
            "date": self.date,
            "gatewayAPIVersion": self.gateway_api_version,
            "gatewayAPIChannel": self.gateway_api_channel,
            "mode": self.mode,
            "profiles": [p.to_dict() for p in self.profiles],
        }
        if self.succeeded_provisional_tests:
            out["succeededProvisionalTests"] = self.succeeded_provisional_tests
        return out

    def to_yaml(self) -> str:
        # sigs.k8s.io/yaml emits keys alphabetically; do the same so reports diff cleanly.
        return yaml.safe_dump(self.to_dict(), sort_keys=True, default_flow_style=False)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the YAML with mode 0600, as upstream does."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(self.to_yaml())
        return target

    @property
    def passed(self) -> bool:
        """True when no profile level failed."""
        return all(
            p.core.result != "failure" and p.extended.result != "failure" for p in self.profiles
        )


def rfc3339_now() -> str:
    return datetime.datetime.now(datetime.UTC).astimezone().isoformat(timespec="seconds")


def build_report(
    catalog: Catalog,
    results: Iterable[TestResult],
    *,
    profiles: Sequence[str],
    supported_features: Iterable[str],
    implementation: Implementation,
    mode: str = "default",
    channel: str = "standard",
    gateway_api_version: str | None = None,
    date: str | None = None,
) -> ConformanceReport:
    """Summarise test results per selected profile the way upstream's suite does."""
    supported = frozenset(supported_features)
    selected = catalog.check_profiles(profiles)
    results = list(results)
    reports: list[ProfileReport] = []
    for profile in selected:
        core, extended = LevelStatus(), LevelStatus()
        for result in results:
            level = profile.level_of(result.features)
            if level is ProfileLevel.CORE:
                core.add(result)
            elif level is ProfileLevel.EXTENDED:
                extended.add(result)
        reports.append(
            ProfileReport(
                name=profile.name,
                core=core,
                extended=extended,
                supported_features=sorted(profile.extended & supported),
                unsupported_features=sorted(profile.extended - supported),
            )
        )
    provisional = sorted(
        r.short_name for r in results if r.provisional and r.outcome is Outcome.PASSED
    )
    return ConformanceReport(
        implementation=implementation,
        date=date or rfc3339_now(),
        gateway_api_version=gateway_api_version or catalog.version,
        gateway_api_channel=channel,
        mode=mode,
        profiles=reports,
        succeeded_provisional_tests=provisional,
    )
