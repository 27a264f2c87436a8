"""A failed scenario's message in the results keeps what was expected and what came back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

# A long body pushes a source listing past the message limit; the message must survive.
SCENARIO = (
    """
from harness.conformance.scenario import scenario

@scenario("HTTPRouteSimpleSameNamespace", features={"Gateway", "HTTPRoute"})
def test_simple():
"""
    + "".join(f"    x{i} = {i}  # {'filler ' * 8}\n" for i in range(120))
    + """    raise AssertionError("wanted ResolvedRefs=False/BackendNotFound, got RefNotPermitted")
"""
)


def test_failure_message_names_the_assertion_not_the_source_listing(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makepyfile(SCENARIO)
    out = tmp_path / "results.json"
    result = pytester.runpytest(
        "--conformance-offline",
        "-p",
        "no:cacheprovider",
        "--supported-features=Gateway,HTTPRoute",
        "--conformance-retries=0",
        f"--results-output={out}",
    )
    result.assert_outcomes(failed=1)
    (test,) = json.loads(out.read_text())["tests"]
    assert test["outcome"] == "failed"
    assert "got RefNotPermitted" in test["failureMessage"]
    assert "test_failure_message_names" in test["failureMessage"]  # where it was raised
