"""ConformanceReport aggregation follows upstream's counting and result rules."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import yaml

from harness.conformance.catalog import Catalog
from harness.conformance.report import Implementation, build_report
from harness.conformance.results import (
    RESULTS_SCHEMA,
    Outcome,
    RunInfo,
    TestResult,
    read_results_json,
    write_results_json,
)

CATALOG = Catalog.load("v1.6.1")
IMPL = Implementation(
    "acme", "gw", "https://example.invalid/gw", "v0.1.0", ("team@example.invalid",)
)


def result(name: str, outcome: Outcome, message: str = "") -> TestResult:
    spec = CATALOG.test(name)
    return TestResult(name, outcome, spec.features, spec.provisional, 0.5, message)


def profile_dict(
    results: list[TestResult], supported: set[str], name: str = "GATEWAY-HTTP"
) -> dict:  # type: ignore[type-arg]
    report = build_report(
        CATALOG, results, profiles=[name], supported_features=supported, implementation=IMPL
    )
    (entry,) = report.to_dict()["profiles"]
    return entry  # type: ignore[no-any-return]


def test_all_passed_is_success_without_extended_block() -> None:
    entry = profile_dict(
        [
            result("HTTPRouteSimpleSameNamespace", Outcome.PASSED),
            result("GatewayModifyListeners", Outcome.PASSED),
        ],
        {"Gateway", "HTTPRoute", "ReferenceGrant"},
    )
    assert entry["core"] == {
        "result": "success",
        "statistics": {"Passed": 2, "Failed": 0, "Skipped": 0},
    }
    assert "extended" not in entry
    assert entry["summary"] == "Core tests succeeded."


def test_skip_gives_partial_and_failure_wins() -> None:
    entry = profile_dict(
        [
            result("HTTPRouteSimpleSameNamespace", Outcome.PASSED),
            result("HTTPRouteExactPathMatching", Outcome.SKIPPED),
            result("HTTPRouteQueryParamMatching", Outcome.PASSED),
            result("HTTPRouteMethodMatching", Outcome.FAILED, "boom"),
            result("HTTPRouteRedirectPort", Outcome.SKIPPED),
        ],
        {"Gateway", "HTTPRoute", "HTTPRouteQueryParamMatching", "HTTPRouteMethodMatching"},
    )
    assert entry["core"]["result"] == "partial"
    assert entry["core"]["skippedTests"] == ["HTTPRouteExactPathMatching"]
    ext = entry["extended"]
    assert ext["result"] == "failure"
    assert ext["statistics"] == {"Passed": 1, "Failed": 1, "Skipped": 1}
    assert ext["failedTests"] == ["HTTPRouteMethodMatching"]
    assert ext["supportedFeatures"] == ["HTTPRouteMethodMatching", "HTTPRouteQueryParamMatching"]
    assert "GatewayPort8080" in ext["unsupportedFeatures"]
    assert entry["summary"] == (
        "Core tests partially succeeded with 1 test skips. "
        "Extended tests failed with 1 test failures."
    )


def test_unsupported_and_provisional_skipped_are_not_counted() -> None:
    entry = profile_dict(
        [
            result("HTTPRouteSimpleSameNamespace", Outcome.PASSED),
            result("HTTPRouteQueryParamMatching", Outcome.NOT_SUPPORTED),
            result("HTTPRoute303Redirect", Outcome.PROVISIONAL_SKIPPED),
        ],
        {"Gateway", "HTTPRoute"},
    )
    assert entry["core"]["result"] == "success"
    assert "extended" not in entry


def test_flaky_counts_as_failure() -> None:
    entry = profile_dict(
        [result("HTTPRouteSimpleSameNamespace", Outcome.FLAKY, "first try")], set()
    )
    assert entry["core"]["result"] == "failure"
    assert entry["core"]["failedTests"] == ["HTTPRouteSimpleSameNamespace"]


def test_tests_outside_the_profile_are_ignored() -> None:
    entry = profile_dict(
        [result("TLSRouteSimpleSameNamespace", Outcome.FAILED)], {"Gateway"}, name="GATEWAY-HTTP"
    )
    assert entry["core"]["statistics"] == {"Passed": 0, "Failed": 0, "Skipped": 0}
    # ... but a {Gateway}-only test counts as core in every GATEWAY-* profile.
    for name in ("GATEWAY-HTTP", "GATEWAY-TLS", "GATEWAY-GRPC"):
        entry = profile_dict([result("GatewayModifyListeners", Outcome.FAILED)], set(), name=name)
        assert entry["core"]["failedTests"] == ["GatewayModifyListeners"]


def test_yaml_document_schema_and_file_mode(tmp_path: Path) -> None:
    report = build_report(
        CATALOG,
        [
            result("HTTPRoute303Redirect", Outcome.PASSED),
            result("HTTPRouteSimpleSameNamespace", Outcome.PASSED),
        ],
        profiles=["GATEWAY-HTTP", "GATEWAY-TLS"],
        supported_features={"Gateway", "HTTPRoute", "HTTPRoute303RedirectStatusCode"},
        implementation=IMPL,
        mode="default",
        channel="experimental",
        date="2026-11-26T04:00:00+00:00",
    )
    path = report.write(tmp_path / "out" / "report.yaml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    doc = yaml.safe_load(text)
    assert list(doc) == sorted(doc)  # keys alphabetical, like sigs.k8s.io/yaml
    assert doc["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert doc["kind"] == "ConformanceReport"
    assert doc["gatewayAPIVersion"] == "v1.6.1"
    assert doc["gatewayAPIChannel"] == "experimental"
    assert doc["implementation"]["contact"] == ["team@example.invalid"]
    assert doc["succeededProvisionalTests"] == ["HTTPRoute303Redirect"]
    assert [p["name"] for p in doc["profiles"]] == ["GATEWAY-HTTP", "GATEWAY-TLS"]
    assert "Statistics" not in text and "Passed: 1" in text


def test_implementation_missing_fields() -> None:
    assert Implementation(organization="x").missing_fields() == [
        "project",
        "url",
        "version",
        "contact",
    ]
    assert IMPL.missing_fields() == []


def test_results_json_round_trip(tmp_path: Path) -> None:
    results = [
        result("HTTPRouteSimpleSameNamespace", Outcome.FLAKY, "attempt 1: 404"),
        result("HTTPRouteExactPathMatching", Outcome.SKIPPED, "skipped by --skip-tests"),
    ]
    results[0].attempts = 2
    info = RunInfo(gateway_class="gc", gateway_api_version="v1.6.1", profiles=("GATEWAY-HTTP",))
    path = write_results_json(tmp_path / "results.json", info, results)
    doc = json.loads(path.read_text())
    assert doc["schema"] == RESULTS_SCHEMA
    by_name = {t["shortName"]: t for t in doc["tests"]}
    flaky = by_name["HTTPRouteSimpleSameNamespace"]
    assert flaky["flaky"] is True and flaky["attempts"] == 2
    assert flaky["failureMessage"] == "attempt 1: 404"
    assert by_name["HTTPRouteExactPathMatching"]["skipReason"] == "skipped by --skip-tests"
    assert doc["totals"]["flaky"] == 1
    info2, back = read_results_json(path)
    assert info2.gateway_class == "gc"
    assert {r.short_name: r.outcome for r in back} == {r.short_name: r.outcome for r in results}
