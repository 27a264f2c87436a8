"""The one error type a cluster provider raises for bad input or a failed step."""

from __future__ import annotations


class ClusterError(Exception):
    """A failure the user can act on: `str()` says what went wrong, `hint` what to do."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.hint}" if self.hint else self.message
