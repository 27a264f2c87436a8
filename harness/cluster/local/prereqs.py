"""System tools the local cluster needs, installed from Debian packages when missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable

from harness.cluster.errors import ClusterError

# tool -> Debian package that provides it
REQUIRED_TOOLS = {
    "ip": "iproute2",
    "nsenter": "util-linux",
    "unshare": "util-linux",
    "nft": "nftables",
}


def missing_tools() -> dict[str, str]:
    return {tool: pkg for tool, pkg in REQUIRED_TOOLS.items() if shutil.which(tool) is None}


def ensure_tools(progress: Callable[[str], None]) -> None:
    """Install missing tools with apt-get when we are root on Debian; else say what to install."""
    missing = missing_tools()
    if not missing:
        return
    packages = sorted(set(missing.values()))
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ClusterError(
            f"the local cluster needs {', '.join(sorted(missing))}",
            hint=f"install the packages {' '.join(packages)} (e.g. `apt-get install -y "
            f"{' '.join(packages)}`)",
        )
    progress(f"Installing {' '.join(packages)} (needed by the local cluster's node) …")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *packages]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ClusterError(
                f"`{' '.join(cmd)}` failed: {proc.stderr.strip()[-600:]}",
                hint=f"install {' '.join(packages)} by hand",
            )
    still = missing_tools()
    if still:
        raise ClusterError(
            f"still missing after install: {', '.join(sorted(still))}",
            hint=f"install {' '.join(sorted(set(still.values())))} by hand",
        )
