"""Run folders: `reports/runs/<UTC timestamp>-<short id>/`, one per run of the harness."""

from __future__ import annotations

import datetime
import os
import re
import secrets
from pathlib import Path

from harness.results.errors import ResultsError
from harness.results.model import RESULTS_FILE, RunResults

DEFAULT_ROOT = Path("reports") / "runs"
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def new_run_id(now: datetime.datetime | None = None) -> str:
    """`20261126T031500Z-1a2b3c`: sorts by time, unique enough for parallel runs."""
    moment = (now or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def new_run_dir(root: str | os.PathLike[str] = DEFAULT_ROOT, run_id: str | None = None) -> Path:
    """Create and return a fresh run folder under `root`; never reuses an existing one."""
    run_id = run_id or new_run_id()
    if not _RUN_ID.match(run_id):
        raise ResultsError(
            f"run id {run_id!r} is not usable as a folder name; "
            "use letters, digits, '.', '_' and '-' only"
        )
    folder = Path(root) / run_id
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir()
    except FileExistsError as e:
        raise ResultsError(
            f"run folder {folder} exists already; choose another run id or --output"
        ) from e
    except OSError as e:
        raise ResultsError(f"cannot create run folder {folder}: {e.strerror}") from e
    return folder


# Files whose presence makes a folder a run folder: the run's results, or a producer's output.
RUN_MARKERS = (RESULTS_FILE, "conformance-results.json", "performance.json")


def is_run_dir(folder: Path) -> bool:
    return any((folder / name).is_file() for name in RUN_MARKERS)


def find_run_dirs(root: str | os.PathLike[str]) -> list[Path]:
    """Every run folder at or directly below `root`, sorted by name."""
    base = Path(root)
    if not base.is_dir():
        raise ResultsError(f"{base} is not a folder; pass a folder of runs such as reports/runs/")
    if is_run_dir(base):
        return [base]
    return sorted(p for p in base.iterdir() if p.is_dir() and is_run_dir(p))


def load_or_new(run_dir: str | os.PathLike[str]) -> RunResults:
    """The run's results so far, or fresh ones named after the folder: for a producer (the
    conformance plugin, `gwh bench`) that adds its section to a run folder others may share."""
    folder = Path(run_dir)
    if (folder / RESULTS_FILE).is_file():
        return RunResults.load(folder)
    from harness.results.environment import current_environment

    return RunResults(run_id=folder.name, environment=current_environment())
