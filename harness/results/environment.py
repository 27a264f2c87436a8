"""Describe the machine a run happens on."""

from __future__ import annotations

import os
import platform
import socket
from importlib import metadata

import psutil

from harness.results.model import Environment


def harness_version() -> str:
    try:
        return metadata.version("gateway-harness")
    except metadata.PackageNotFoundError:
        return "unknown"


def current_environment() -> Environment:
    """Hostname, CPUs, memory, Python and harness version of this machine."""
    return Environment(
        hostname=socket.gethostname(),
        cpus=os.cpu_count() or 0,
        memory_bytes=int(psutil.virtual_memory().total),
        python=platform.python_version(),
        harness_version=harness_version(),
    )
