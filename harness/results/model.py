"""The run-level results model (schema `gateway-harness/run-results/v1`): typed and validated."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from harness.results.errors import ResultsError
from harness.results.fields import FieldReader

SCHEMA = "gateway-harness/run-results/v1"
SCHEMA_PREFIX = "gateway-harness/run-results/"
RESULTS_FILE = "results.json"

OUTCOMES = ("passed", "failed", "skipped", "flaky", "unsupported")
LEVEL_RESULTS = ("success", "partial", "failure", "none")
BETTER = ("lower", "higher")


@dataclass
class Implementation:
    """The Gateway implementation that was tested."""

    gateway_class: str = ""
    organization: str = ""
    project: str = ""
    url: str = ""
    version: str = ""
    contact: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, r: FieldReader) -> Implementation:
        r.check_keys(("gateway_class", "organization", "project", "url", "version", "contact"))
        return cls(
            gateway_class=r.string("gateway_class", ""),
            organization=r.string("organization", ""),
            project=r.string("project", ""),
            url=r.string("url", ""),
            version=r.string("version", ""),
            contact=r.strings("contact", []),
        )

    @property
    def label(self) -> str:
        """A short human name: project and version, else the GatewayClass."""
        name = " ".join(p for p in (self.project, self.version) if p)
        return name or self.gateway_class or "unnamed implementation"


@dataclass
class ClusterInfo:
    """The cluster the run used."""

    provider: str = ""
    name: str = ""
    kubernetes_version: str = ""
    gateway_api_version: str = ""
    gateway_api_channel: str = ""

    @classmethod
    def read(cls, r: FieldReader) -> ClusterInfo:
        keys = ("provider", "name", "kubernetes_version", "gateway_api_version")
        r.check_keys((*keys, "gateway_api_channel"))
        return cls(
            provider=r.string("provider", ""),
            name=r.string("name", ""),
            kubernetes_version=r.string("kubernetes_version", ""),
            gateway_api_version=r.string("gateway_api_version", ""),
            gateway_api_channel=r.string("gateway_api_channel", ""),
        )


@dataclass
class Environment:
    """The machine the harness ran on."""

    hostname: str = ""
    cpus: int = 0
    memory_bytes: int = 0
    python: str = ""
    harness_version: str = ""

    @classmethod
    def read(cls, r: FieldReader) -> Environment:
        r.check_keys(("hostname", "cpus", "memory_bytes", "python", "harness_version"))
        return cls(
            hostname=r.string("hostname", ""),
            cpus=r.integer("cpus", 0),
            memory_bytes=r.integer("memory_bytes", 0),
            python=r.string("python", ""),
            harness_version=r.string("harness_version", ""),
        )


@dataclass
class CoreLevel:
    """The core level of one conformance profile."""

    result: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failed_tests: list[str] = field(default_factory=list)
    skipped_tests: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, r: FieldReader) -> CoreLevel:
        r.check_keys(("result", "passed", "failed", "skipped", "failed_tests", "skipped_tests"))
        return cls(
            result=r.choice("result", LEVEL_RESULTS),
            passed=r.integer("passed", 0),
            failed=r.integer("failed", 0),
            skipped=r.integer("skipped", 0),
            failed_tests=r.strings("failed_tests", []),
            skipped_tests=r.strings("skipped_tests", []),
        )


@dataclass
class ExtendedLevel:
    """The extended level of one conformance profile and the features behind it."""

    result: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    supported_features: list[str] = field(default_factory=list)
    unsupported_features: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, r: FieldReader) -> ExtendedLevel:
        r.check_keys(
            (
                "result",
                "passed",
                "failed",
                "skipped",
                "supported_features",
                "unsupported_features",
            )
        )
        return cls(
            result=r.choice("result", LEVEL_RESULTS),
            passed=r.integer("passed", 0),
            failed=r.integer("failed", 0),
            skipped=r.integer("skipped", 0),
            supported_features=r.strings("supported_features", []),
            unsupported_features=r.strings("unsupported_features", []),
        )


@dataclass
class ProfileResult:
    """One conformance profile's verdict."""

    name: str
    core: CoreLevel
    extended: ExtendedLevel

    @classmethod
    def read(cls, r: FieldReader) -> ProfileResult:
        r.check_keys(("name", "core", "extended"))
        return cls(
            name=r.string("name"),
            core=CoreLevel.read(r.obj("core")),
            extended=ExtendedLevel.read(r.obj("extended")),
        )

    @property
    def failed(self) -> bool:
        return "failure" in (self.core.result, self.extended.result)


@dataclass
class TestOutcome:
    """One conformance test's outcome."""

    __test__ = False  # not a pytest test class

    short_name: str
    outcome: str
    duration_s: float = 0.0
    message: str = ""
    features: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, r: FieldReader) -> TestOutcome:
        r.check_keys(("short_name", "outcome", "duration_s", "message", "features"))
        return cls(
            short_name=r.string("short_name"),
            outcome=r.choice("outcome", OUTCOMES),
            duration_s=r.number("duration_s", 0.0),
            message=r.string("message", ""),
            features=r.strings("features", []),
        )


@dataclass
class ConformanceSection:
    """The conformance part of a run: profile verdicts, per-test outcomes, and its files."""

    profiles: list[ProfileResult] = field(default_factory=list)
    tests: list[TestOutcome] = field(default_factory=list)
    report_yaml: str = "conformance-report.yaml"
    junit_xml: str = "junit.xml"

    @classmethod
    def read(cls, r: FieldReader) -> ConformanceSection:
        r.check_keys(("report_yaml", "junit_xml", "profiles", "tests"))
        return cls(
            report_yaml=_relative_file(r, "report_yaml", "conformance-report.yaml"),
            junit_xml=_relative_file(r, "junit_xml", "junit.xml"),
            profiles=[ProfileResult.read(p) for p in r.objects("profiles", [])],
            tests=[TestOutcome.read(t) for t in r.objects("tests", [])],
        )

    @property
    def failed(self) -> bool:
        return any(p.failed for p in self.profiles) or any(
            t.outcome in ("failed", "flaky") for t in self.tests
        )


@dataclass
class Metric:
    """One measured quantity of a scenario; `samples` are its repeated measurements."""

    name: str
    unit: str
    better: str
    value: float
    samples: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.better not in BETTER:
            raise ResultsError(
                f"metric {self.name!r}: better is {self.better!r}; expected lower or higher"
            )

    @classmethod
    def read(cls, r: FieldReader) -> Metric:
        r.check_keys(("name", "unit", "better", "value", "samples"))
        return cls(
            name=r.string("name"),
            unit=r.string("unit", ""),
            better=r.choice("better", BETTER),
            value=r.number("value"),
            samples=r.numbers("samples", []),
        )


@dataclass
class Series:
    """A curve or time series of a scenario, drawn as a plot."""

    x: list[float]
    y: list[float]
    x_label: str = ""
    y_label: str = ""

    @classmethod
    def read(cls, r: FieldReader) -> Series:
        r.check_keys(("x", "y", "x_label", "y_label"))
        series = cls(
            x=r.numbers("x"),
            y=r.numbers("y"),
            x_label=r.string("x_label", ""),
            y_label=r.string("y_label", ""),
        )
        if len(series.x) != len(series.y):
            raise r.fail("y", f"has {len(series.y)} values but x has {len(series.x)}")
        return series


@dataclass
class Scenario:
    """One performance scenario's parameters and measurements."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    generator_bound: bool = False
    notes: list[str] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    series: dict[str, Series] = field(default_factory=dict)
    histograms: dict[str, str] = field(default_factory=dict)

    def metric(self, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.name == name), None)

    @classmethod
    def read(cls, r: FieldReader) -> Scenario:
        keys = ("name", "description", "parameters", "generator_bound", "notes", "metrics")
        r.check_keys((*keys, "series", "histograms"))
        series_reader = r.obj("series", {})
        histograms_reader = r.obj("histograms", {})
        metrics = [Metric.read(m) for m in r.objects("metrics", [])]
        names = [m.name for m in metrics]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise r.fail("metrics", f"names {', '.join(duplicates)} more than once")
        return cls(
            name=r.string("name"),
            description=r.string("description", ""),
            parameters=dict(r.obj("parameters", {}).data),
            generator_bound=r.boolean("generator_bound", False),
            notes=r.strings("notes", []),
            metrics=metrics,
            series={
                str(name): Series.read(series_reader.obj(str(name))) for name in series_reader.data
            },
            histograms={
                str(name): _relative_file(histograms_reader, str(name), None, "histograms/")
                for name in histograms_reader.data
            },
        )


@dataclass
class PerformanceSection:
    """The performance part of a run."""

    scenarios: list[Scenario] = field(default_factory=list)

    def scenario(self, name: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.name == name), None)

    @classmethod
    def read(cls, r: FieldReader) -> PerformanceSection:
        r.check_keys(("scenarios",))
        scenarios = [Scenario.read(s) for s in r.objects("scenarios", [])]
        names = [s.name for s in scenarios]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise r.fail("scenarios", f"names {', '.join(duplicates)} more than once")
        return cls(scenarios=scenarios)


@dataclass
class RunResults:
    """Everything one run of the harness found, as stored in its folder's results.json."""

    run_id: str
    started: str = ""
    finished: str = ""
    command: list[str] = field(default_factory=list)
    implementation: Implementation = field(default_factory=Implementation)
    cluster: ClusterInfo = field(default_factory=ClusterInfo)
    environment: Environment = field(default_factory=Environment)
    conformance: ConformanceSection | None = None
    performance: PerformanceSection | None = None

    @property
    def passed(self) -> bool:
        """The run's verdict: no conformance failure (performance has no verdict of its own)."""
        return self.conformance is None or not self.conformance.failed

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        data = asdict(self)
        return {"schema": SCHEMA, **data}

    @classmethod
    def from_dict(cls, data: Any, source: str = "results.json") -> RunResults:
        """Validate and read a results document; ResultsError names the bad field."""
        if not isinstance(data, dict):
            raise ResultsError(f"{source}: the document must be a JSON object")
        schema = data.get("schema")
        if schema != SCHEMA:
            raise ResultsError(_schema_message(source, schema))
        r = FieldReader(data, "", source)
        r.check_keys(
            (
                "schema",
                "run_id",
                "started",
                "finished",
                "command",
                "implementation",
                "cluster",
                "environment",
                "conformance",
                "performance",
            )
        )
        conformance = r.optional_obj("conformance")
        performance = r.optional_obj("performance")
        run_id = r.string("run_id")
        if not run_id:
            raise r.fail("run_id", "is empty")
        return cls(
            run_id=run_id,
            started=r.string("started", ""),
            finished=r.string("finished", ""),
            command=r.strings("command", []),
            implementation=Implementation.read(r.obj("implementation", {})),
            cluster=ClusterInfo.read(r.obj("cluster", {})),
            environment=Environment.read(r.obj("environment", {})),
            conformance=ConformanceSection.read(conformance) if conformance else None,
            performance=PerformanceSection.read(performance) if performance else None,
        )

    @classmethod
    def load(cls, run_dir: str | os.PathLike[str]) -> RunResults:
        """Read `<run_dir>/results.json`; ResultsError if the folder is not a run or is invalid."""
        folder = Path(run_dir)
        path = folder / RESULTS_FILE
        if not path.is_file():
            raise ResultsError(
                f"{folder} is not a run folder (no {RESULTS_FILE}); "
                "pass a folder under reports/runs/"
            )
        try:
            data = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ResultsError(
                f"{path} cannot be read as JSON ({e}); rerun the command that wrote it"
            ) from e
        return cls.from_dict(data, str(path))

    def save(self, run_dir: str | os.PathLike[str]) -> Path:
        """Validate, then write `<run_dir>/results.json` atomically; returns its path."""
        data = self.to_dict()
        folder = Path(run_dir)
        RunResults.from_dict(json.loads(json.dumps(data)), str(folder / RESULTS_FILE))
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / RESULTS_FILE
        temporary = folder / f".{RESULTS_FILE}.tmp"
        temporary.write_text(json.dumps(data, indent=2) + "\n")
        temporary.replace(target)
        return target


def _schema_message(source: str, schema: Any) -> str:
    if isinstance(schema, str) and schema.startswith(SCHEMA_PREFIX):
        return (
            f"{source} has schema {schema!r}, but this gwh reads {SCHEMA!r}; "
            "use the gwh version that wrote it, or rerun the run with this one"
        )
    if schema == "gateway-harness/conformance-results/v1":
        return (
            f"{source} is a conformance results file ({schema!r}), not a run's results "
            f"({SCHEMA!r}); run the conformance suite through gwh, which writes the run folder"
        )
    return (
        f"{source} has schema {schema!r}, expected {SCHEMA!r}; "
        "pass a run folder written by gwh (reports/runs/<run-id>/)"
    )


def _relative_file(r: FieldReader, key: str, default: str | None, under: str = "") -> str:
    """A path inside the run folder: relative, no `..`, optionally under a given folder."""
    value = r.string(key, default)
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or not value:
        raise r.fail(key, f"is {value!r}; it must be a path relative to the run folder")
    if under and not value.startswith(under):
        raise r.fail(key, f"is {value!r}; it must lie under {under}")
    return value
