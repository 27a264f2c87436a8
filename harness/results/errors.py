"""The one error type the results model raises for a bad run folder or results file."""

from __future__ import annotations


class ResultsError(ValueError):
    """A run folder or results file that cannot be read: `str()` names it and says what to do."""
