"""report.html in headless Chromium: every embedded plot decodes, the tables are there."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.report.writer import write_report
from harness.results.sample_run import write_sample_run

pytestmark = pytest.mark.integration

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no headless Chromium: install it with `apt-get install -y chromium`")


def run_chromium(page: Path, profile: Path, *extra: str) -> str:
    result = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def page_title(dom: str) -> str:
    match = re.search(r"<title>([^<]*)</title>", dom)
    assert match, dom[:500]
    return match.group(1)


def test_report_page_loads_every_image_and_table(tmp_path: Path) -> None:
    written = write_report(write_sample_run(tmp_path / "runs"))
    html = written.html.read_text()
    assert not re.search(r"""(src|href)=["'](?!data:)""", html), "no external assets"
    dom = run_chromium(written.html, tmp_path / "profile", "--dump-dom")
    title = page_title(dom)
    # Set by the page's onload script once the browser has decoded the images.
    assert title == f"images:{len(written.plots)}/{len(written.plots)} tables:7", title
    assert "<th>Profile</th>" in dom and "<th>Metric</th>" in dom
    assert "HTTPRouteHeaderMatching" in dom

    screenshot = tmp_path / "report.png"
    run_chromium(
        written.html,
        tmp_path / "profile-shot",
        f"--screenshot={screenshot}",
        "--window-size=1280,3000",
        "--hide-scrollbars",
    )
    assert screenshot.read_bytes().startswith(b"\x89PNG")


def test_the_image_check_notices_a_broken_plot(tmp_path: Path) -> None:
    written = write_report(write_sample_run(tmp_path / "runs"))
    html = written.html.read_text()
    broken = re.sub(
        r"data:image/png;base64,[A-Za-z0-9+/]{40}", "data:image/png;base64,AAAA", html, count=1
    )
    assert broken != html
    page = tmp_path / "broken.html"
    page.write_text(broken)
    title = page_title(run_chromium(page, tmp_path / "profile", "--dump-dom"))
    total = len(written.plots)
    assert title == f"images:{total - 1}/{total} tables:7", title
