"""The example nightly workflow is valid GitHub Actions YAML and calls only real gwh commands."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.cli import build_parser

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "nightly-workflow.yaml"
# Commands DESIGN.md names as the CLI contract; others may still be registering them.
CONTRACT_COMMANDS = {"run", "cluster", "reference", "conformance", "bench", "report", "compare"}


def load_workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    # YAML 1.1 reads the bare key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps() -> list[dict[str, Any]]:
    (job,) = load_workflow()["jobs"].values()
    result: list[dict[str, Any]] = job["steps"]
    return result


def gwh_command_lines() -> list[str]:
    """Every `gwh ...` line of every `run:` block, with backslash continuations joined."""
    lines = []
    for step in steps():
        script = step.get("run", "").replace("\\\n", " ")
        lines += [line.strip() for line in script.splitlines() if line.strip().startswith("gwh ")]
    return lines


def registered_commands() -> set[str]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert isinstance(sub.choices, dict)
    return set(sub.choices)


def test_workflow_has_triggers_job_and_steps() -> None:
    data = load_workflow()
    assert len(data["on"]["schedule"][0]["cron"].split()) == 5
    assert "workflow_dispatch" in data["on"]
    (job,) = data["jobs"].values()
    assert job["runs-on"]
    assert job["timeout-minutes"] > 0
    uses = [s["uses"].split("@")[0] for s in job["steps"] if "uses" in s]
    assert "actions/checkout" in uses
    assert "actions/upload-artifact" in uses
    for step in job["steps"]:
        assert "name" in step, f"every step has a name: {step}"
        assert ("run" in step) != ("uses" in step), f"a step runs or uses, not both: {step}"


def test_cleanup_and_upload_run_even_after_a_failure() -> None:
    all_steps = steps()
    upload = next(s for s in all_steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"
    down = [s for s in all_steps if "gwh cluster down" in s.get("run", "")]
    assert len(down) == 1 and down[0]["if"] == "always()"
    assert all_steps[-1] is down[0], "the cluster is deleted last"


def test_the_nightly_runs_the_documented_sequence() -> None:
    commands = [shlex.split(line)[1:3] for line in gwh_command_lines()]
    order = [c[0] if c[0] not in ("cluster", "reference") else " ".join(c) for c in commands]
    assert order.index("cluster up") < order.index("reference install")
    assert order.index("reference install") < order.index("report")
    assert order.index("report") < order.index("compare")
    assert order[-1] == "cluster down"
    compare = next(line for line in gwh_command_lines() if line.startswith("gwh compare"))
    assert "--baseline" in compare and "--fail-on-regression" in compare
    for line in gwh_command_lines():
        if line.split()[1] in ("cluster", "reference", "conformance", "bench"):
            assert "--provider kind" in line, f"the nightly uses kind: {line}"


@pytest.mark.parametrize("line", gwh_command_lines())
def test_each_gwh_command_parses(line: str) -> None:
    argv = shlex.split(line)[1:]
    registered = registered_commands()
    assert argv[0] in registered, f"gwh {argv[0]} is not a registered gwh command: {line}"
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:
        pytest.fail(f"gwh rejects the workflow's command line {line!r} (exit {e.code})")
    assert callable(args.handler)
