"""The pytest plugin: inert by default, option validation, selection, retries and reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

pytest_plugins = ["pytester"]

SCENARIOS = """
import pytest
from harness.conformance.scenario import scenario

@scenario("HTTPRouteSimpleSameNamespace", features={"Gateway", "HTTPRoute"})
def test_simple():
    pass

@scenario("HTTPRouteQueryParamMatching",
          features={"Gateway", "HTTPRoute", "HTTPRouteQueryParamMatching"})
def test_query():
    pass

@scenario("HTTPRouteExactPathMatching", features={"Gateway", "HTTPRoute"})
def test_exact():
    pass

@scenario("HTTPRoute303Redirect", provisional=True,
          features={"Gateway", "HTTPRoute", "HTTPRoute303RedirectStatusCode"})
def test_303():
    pass

@scenario("HTTPRouteMethodMatching", features={"Gateway", "HTTPRoute", "HTTPRouteMethodMatching"})
def test_method():
    pytest.skip("the test itself decided to skip")

def test_not_a_scenario():
    pass
"""

IMPL = [
    "--organization=acme",
    "--project=gw",
    "--url=https://example.invalid/gw",
    "--implementation-version=v1",
    "--contact=a@example.invalid",
]


def offline(*args: str) -> list[str]:
    return ["--conformance-offline", "-p", "no:cacheprovider", *args]


def test_inert_without_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SCENARIOS)
    result = pytester.runpytest("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=5)
    result.stdout.fnmatch_lines(["*conformance run not configured: pass --gateway-class*"])


def test_selection_and_report(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(SCENARIOS)
    report = tmp_path / "report.yaml"
    result = pytester.runpytest(
        "-rs",
        *offline(
            "--supported-features=Gateway,HTTPRoute,HTTPRoute303RedirectStatusCode,"
            "HTTPRouteMethodMatching",
            "--profiles=GATEWAY-HTTP",
            "--skip-tests=HTTPRouteExactPathMatching",
            f"--report-output={report}",
            *IMPL,
        ),
    )
    result.assert_outcomes(passed=3, skipped=3)
    result.stdout.fnmatch_lines(
        [
            "*unsupported feature HTTPRouteQueryParamMatching*",
            "*skipped by --skip-tests*",
        ]
    )
    doc = yaml.safe_load(report.read_text())
    (profile,) = doc["profiles"]
    assert profile["name"] == "GATEWAY-HTTP"
    assert profile["core"]["statistics"] == {"Passed": 1, "Failed": 0, "Skipped": 1}
    assert profile["core"]["skippedTests"] == ["HTTPRouteExactPathMatching"]
    assert profile["extended"]["statistics"] == {"Passed": 1, "Failed": 0, "Skipped": 1}
    assert profile["extended"]["skippedTests"] == ["HTTPRouteMethodMatching"]
    assert "HTTPRouteQueryParamMatching" in profile["extended"]["unsupportedFeatures"]
    assert doc["succeededProvisionalTests"] == ["HTTPRoute303Redirect"]
    assert doc["implementation"]["organization"] == "acme"
    results = json.loads((tmp_path / "results.json").read_text())
    outcomes = {t["shortName"]: t["outcome"] for t in results["tests"]}
    assert outcomes == {
        "HTTPRouteSimpleSameNamespace": "passed",
        "HTTPRouteQueryParamMatching": "not-supported",
        "HTTPRouteExactPathMatching": "skipped",
        "HTTPRoute303Redirect": "passed",
        "HTTPRouteMethodMatching": "skipped",
    }


def test_skip_provisional_and_run_test(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(SCENARIOS)
    out = tmp_path / "r.json"
    result = pytester.runpytest(
        "-rs",
        *offline(
            "--all-features",
            "--skip-provisional-tests",
            "--run-test=HTTPRouteQueryParamMatching",
            f"--results-output={out}",
        ),
    )
    result.assert_outcomes(passed=2, skipped=4)
    outcomes = {t["shortName"]: t["outcome"] for t in json.loads(out.read_text())["tests"]}
    assert outcomes["HTTPRouteQueryParamMatching"] == "passed"
    assert outcomes["HTTPRouteSimpleSameNamespace"] == "skipped"
    # --run-test wins over the provisional skip for the other tests, as upstream classifies.
    assert outcomes["HTTPRoute303Redirect"] == "skipped"


def test_run_test_bypasses_feature_gating(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SCENARIOS)
    result = pytester.runpytest(*offline("--run-test=HTTPRouteQueryParamMatching"))
    result.assert_outcomes(passed=2, skipped=4)


FLAKY = """
from pathlib import Path
from harness.conformance.scenario import scenario

COUNTER = Path(__file__).with_name("attempts.txt")

@scenario("HTTPRouteSimpleSameNamespace", features={"Gateway", "HTTPRoute"})
def test_flaky():
    n = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(n + 1))
    assert n > 0, "first attempt fails"

@scenario("HTTPRouteExactPathMatching", features={"Gateway", "HTTPRoute"})
def test_broken():
    assert False, "always broken"
"""


def test_failure_retried_once_and_reported_flaky(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(FLAKY)
    out = tmp_path / "r.json"
    report = tmp_path / "report.yaml"
    junit = tmp_path / "junit.xml"
    result = pytester.runpytest(
        *offline(
            "--supported-features=Gateway,HTTPRoute",
            "--profiles=GATEWAY-HTTP",
            f"--results-output={out}",
            f"--report-output={report}",
            f"--junitxml={junit}",
            *IMPL,
        )
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*FLAKY: attempt 1 failed, attempt 2 passed*"])
    tests = {t["shortName"]: t for t in json.loads(out.read_text())["tests"]}
    flaky = tests["HTTPRouteSimpleSameNamespace"]
    assert flaky["outcome"] == "flaky" and flaky["flaky"] and flaky["attempts"] == 2
    assert "first attempt fails" in flaky["failureMessage"]
    broken = tests["HTTPRouteExactPathMatching"]
    assert broken["outcome"] == "failed" and not broken["flaky"]
    assert "attempt 1" in broken["failureMessage"] and "attempt 2" in broken["failureMessage"]
    core = yaml.safe_load(report.read_text())["profiles"][0]["core"]
    assert core["result"] == "failure"
    assert core["failedTests"] == ["HTTPRouteExactPathMatching", "HTTPRouteSimpleSameNamespace"]
    assert (pytester.path / "attempts.txt").read_text() == "2"
    # JUnit carries the verdict and the flaky mark for CI systems.
    xml = junit.read_text()
    assert 'failures="2"' in xml
    assert 'name="gwh.flaky" value="true"' in xml


def test_no_retry_when_disabled(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(FLAKY)
    result = pytester.runpytest(
        *offline("--supported-features=Gateway,HTTPRoute", "--conformance-retries=0")
    )
    result.assert_outcomes(failed=2)
    assert (pytester.path / "attempts.txt").read_text() == "1"


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            ["--supported-features=Gateway,HTTPRouteTeleport"],
            ["*unknown feature 'HTTPRouteTeleport'*valid features:*HTTPRoute*"],
        ),
        (
            ["--all-features", "--profiles=GATEWAY-FTP"],
            ["*unknown conformance profile 'GATEWAY-FTP'*GATEWAY-HTTP*"],
        ),
        (
            ["--all-features", "--gateway-api-version=v0.1"],
            ["*--gateway-api-version*unknown Gateway API version 'v0.1'*v1.6.1*"],
        ),
        (
            ["--all-features", "--timeout-config-overrides=Soon:3"],
            ["*--timeout-config-overrides*unknown timeout 'Soon'*"],
        ),
        (
            ["--all-features", "--report-output=x.yaml", "--organization=acme"],
            ["*--report-output needs the implementation described*--project*--contact*"],
        ),
        (["--profiles=GATEWAY-HTTP"], ["*--conformance-offline cannot read the GatewayClass*"]),
        (["--all-features", "--run-test=NoSuchTest"], ["*--run-test: no collected scenario*"]),
        (["--all-features", "--namespace-labels=oops"], ["*--namespace-labels: 'oops'*"]),
        (
            ["--all-features", "--skip-tests=HTTPRouteWieght"],
            ["*--skip-tests: unknown*HTTPRouteWieght*"],
        ),
    ],
)
def test_bad_options_are_usage_errors(
    pytester: pytest.Pytester, args: list[str], needles: list[str]
) -> None:
    pytester.makepyfile(SCENARIOS)
    result = pytester.runpytest(*offline(*args))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(needles)


def test_unknown_feature_in_a_scenario_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from harness.conformance.scenario import scenario

        @scenario("Custom", features={"Gateway", "Teleport"})
        def test_custom():
            pass
        """
    )
    result = pytester.runpytest(*offline("--all-features"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*@scenario(Custom) names unknown features*Teleport*"])


def test_missing_kubeconfig_is_a_usage_error(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(SCENARIOS)
    missing = tmp_path / "nope.kubeconfig"
    result = pytester.runpytest("--gateway-class=gc", f"--kubeconfig={missing}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*cannot load kubeconfig {missing}*gwh cluster up*"])


def test_unreachable_cluster_is_a_usage_error(pytester: pytest.Pytester, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:9"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    pytester.makepyfile(SCENARIOS)
    result = pytester.runpytest("--gateway-class=gc", f"--kubeconfig={kubeconfig}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*API server http://127.0.0.1:9*did not answer*"])


def test_xdist_workers_report_through_the_controller(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makepyfile(SCENARIOS)
    out = tmp_path / "r.json"
    result = pytester.runpytest_subprocess(
        *offline("-n", "2", "--supported-features=Gateway,HTTPRoute", f"--results-output={out}")
    )
    result.assert_outcomes(passed=3, skipped=3)
    outcomes = {t["shortName"]: t["outcome"] for t in json.loads(out.read_text())["tests"]}
    assert outcomes["HTTPRouteSimpleSameNamespace"] == "passed"
    assert outcomes["HTTPRouteQueryParamMatching"] == "not-supported"
    assert len(outcomes) == 5


def test_crashed_worker_counts_as_failure(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(
        """
        import os
        from harness.conformance.scenario import scenario

        @scenario("HTTPRouteSimpleSameNamespace", features={"Gateway", "HTTPRoute"})
        def test_crash():
            os._exit(3)

        @scenario("HTTPRouteExactPathMatching", features={"Gateway", "HTTPRoute"})
        def test_fine():
            pass
        """
    )
    out = tmp_path / "r.json"
    result = pytester.runpytest_subprocess(
        *offline("-n", "1", "--supported-features=Gateway,HTTPRoute", f"--results-output={out}")
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    outcomes = {t["shortName"]: t["outcome"] for t in json.loads(out.read_text())["tests"]}
    assert outcomes == {
        "HTTPRouteSimpleSameNamespace": "failed",
        "HTTPRouteExactPathMatching": "passed",
    }
