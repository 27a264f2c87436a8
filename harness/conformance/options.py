"""The conformance options of one run, parsed and checked before any test runs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from harness.conformance.catalog import Catalog
from harness.conformance.report import Implementation
from harness.conformance.timeouts import TimeoutConfig

DEFAULT_GATEWAY_CLASS = "gateway-conformance"
CHANNELS = ("standard", "experimental")


def split_list(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"a, b,,c"`` (or repeated options) → ("a", "b", "c")."""
    if value is None:
        return ()
    parts = [value] if isinstance(value, str) else list(value)
    return tuple(item.strip() for part in parts for item in part.split(",") if item.strip())


@dataclasses.dataclass(frozen=True)
class ConformanceOptions:
    """Everything the pytest options say about a conformance run."""

    gateway_class: str = DEFAULT_GATEWAY_CLASS
    supported_features: tuple[str, ...] = ()
    exempt_features: tuple[str, ...] = ()
    all_features: bool = False
    profiles: tuple[str, ...] = ()
    skip_tests: tuple[str, ...] = ()
    run_test: str = ""
    skip_provisional: bool = False
    report_output: str = ""
    results_output: str = ""
    cleanup_base_resources: bool = True
    cleanup_test_resources: bool = True
    timeouts: TimeoutConfig = dataclasses.field(default_factory=TimeoutConfig)
    mode: str = "default"
    gateway_api_version: str = ""
    gateway_api_channel: str = ""
    kubeconfig: str = ""
    context: str = ""
    implementation: Implementation = dataclasses.field(default_factory=Implementation)
    retries: int = 1


def check_options(options: ConformanceOptions, catalog: Catalog) -> list[str]:
    """Every problem with the options, each naming the input and the fix (empty: fine)."""
    problems: list[str] = []
    for flag, names in (
        ("--supported-features", options.supported_features),
        ("--exempt-features", options.exempt_features),
    ):
        for name in names:
            if name not in catalog.features:
                problems.append(
                    f"{flag}: unknown feature {name!r} for Gateway API {catalog.version}; "
                    f"valid features: {', '.join(sorted(catalog.features))}"
                )
    for name in options.profiles:
        if name not in catalog.profiles:
            problems.append(
                f"--profiles: unknown conformance profile {name!r}; "
                f"valid profiles: {', '.join(sorted(catalog.profiles))}"
            )
    if options.run_test and options.run_test in options.skip_tests:
        problems.append(f"--run-test {options.run_test} is also listed in --skip-tests")
    if options.gateway_api_channel and options.gateway_api_channel not in CHANNELS:
        problems.append(
            f"--gateway-api-channel: {options.gateway_api_channel!r} is not one of "
            f"{', '.join(CHANNELS)}"
        )
    if not options.gateway_class:
        problems.append("--gateway-class is empty; name the GatewayClass under test")
    if not options.mode:
        problems.append("--mode is empty; use 'default' unless the run needs a named mode")
    if options.retries not in (0, 1):
        problems.append(f"--conformance-retries must be 0 or 1, not {options.retries}")
    if options.report_output:
        missing = options.implementation.missing_fields()
        if missing:
            flags = ", ".join(
                "--implementation-version" if m == "version" else f"--{m}" for m in missing
            )
            problems.append(f"--report-output needs the implementation described; missing: {flags}")
    return problems
