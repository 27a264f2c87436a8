"""Under ``pytest -n N`` the plugin runs non-parallel scenarios one at a time, as upstream."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

# Four non-parallel HTTPRoute scenarios that each hold a "running" file while they run:
# any two side by side fail. Two catalogue-parallel Gateway scenarios may overlap.
SCENARIOS = """
import os
import time
from pathlib import Path

from harness.conformance.scenario import scenario

SPOT = Path(os.environ["GWH_TEST_SPOT"])


def alone(name):
    SPOT.mkdir(exist_ok=True)
    mine = SPOT / name
    others = [p.name for p in SPOT.iterdir()]
    assert not others, f"{name} runs beside {others}"
    mine.write_text(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    time.sleep(0.6)
    others = [p.name for p in SPOT.iterdir() if p != mine]
    mine.unlink()
    assert not others, f"{name} ran beside {others}"


@scenario("HTTPRouteSimpleSameNamespace", features={"Gateway", "HTTPRoute"})
def test_simple():
    alone("simple")

@scenario("HTTPRouteExactPathMatching", features={"Gateway", "HTTPRoute"})
def test_exact():
    alone("exact")

@scenario("HTTPRouteHeaderMatching", features={"Gateway", "HTTPRoute"})
def test_header():
    alone("header")

@scenario("HTTPRouteMatching", features={"Gateway", "HTTPRoute"})
def test_matching():
    alone("matching")

@scenario("GatewayInvalidRouteKind", features={"Gateway"})
def test_parallel_one():
    time.sleep(0.3)

@scenario("GatewayObservedGenerationBump", features={"Gateway"})
def test_parallel_two():
    time.sleep(0.3)
"""


def run_with_workers(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str
) -> tuple[pytest.RunResult, dict[str, dict[str, str]]]:
    monkeypatch.setenv("GWH_TEST_SPOT", str(tmp_path / "spot"))
    pytester.makepyfile(SCENARIOS)
    out = tmp_path / "results.json"
    result = pytester.runpytest_subprocess(
        "--conformance-offline",
        "-p",
        "no:cacheprovider",
        "--supported-features=Gateway,HTTPRoute",
        f"--results-output={out}",
        *extra,
    )
    tests = {t["shortName"]: t for t in json.loads(out.read_text())["tests"]}
    return result, tests


def test_non_parallel_scenarios_never_overlap_under_xdist(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, tests = run_with_workers(pytester, tmp_path, monkeypatch, "-n", "3")
    result.assert_outcomes(passed=6)
    assert {t["outcome"] for t in tests.values()} == {"passed"}


@pytest.mark.parametrize("dist", ["load", "loadscope", "loadgroup", "worksteal"])
def test_every_load_mode_keeps_non_parallel_scenarios_apart(
    dist: str,
    pytester: pytest.Pytester,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result, _ = run_with_workers(pytester, tmp_path, monkeypatch, "-n", "3", f"--dist={dist}")
    result.assert_outcomes(passed=6)


def test_dist_each_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SCENARIOS)
    result = pytester.runpytest_subprocess(
        "--conformance-offline", "--all-features", "-n", "2", "--dist=each"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--dist each runs every scenario on every worker*"])


def test_serial_flag_follows_the_catalogue(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GWH_TEST_SPOT", str(tmp_path / "spot"))
    pytester.makeconftest(
        """
        import json, os
        def pytest_collection_finish(session):
            props = {i.name: dict(i.user_properties).get("gwh.serial") for i in session.items}
            with open(os.environ["GWH_TEST_SPOT"] + ".json", "w") as f:
                json.dump(props, f)
        """
    )
    pytester.makepyfile(SCENARIOS)
    pytester.runpytest_inprocess(
        "--conformance-offline", "-p", "no:cacheprovider", "--all-features", "--co"
    )
    props = json.loads((tmp_path / "spot.json").read_text())
    assert props["test_simple"] == "true" and props["test_matching"] == "true"
    assert props["test_parallel_one"] == "false" and props["test_parallel_two"] == "false"


def test_without_the_plugin_grouping_the_same_scenarios_would_overlap(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control: plain xdist (no conformance run, so no grouping) of the same bodies
    # does put them side by side, so the test above can tell the difference.
    monkeypatch.setenv("GWH_TEST_SPOT", str(tmp_path / "spot"))
    pytester.makepyfile(SCENARIOS.replace("@scenario(", "# @scenario("))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "3")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1
