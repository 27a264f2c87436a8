"""Write log lines the way upstream does: to stdout, one flushed write per line."""

from __future__ import annotations

import sys

__all__ = ["log_line"]


def log_line(text: str) -> None:
    """Write text and a newline to stdout and flush, so a pod log sees it at once."""
    stream = sys.stdout
    stream.write(text + "\n")
    stream.flush()
