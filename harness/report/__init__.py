"""Reports from run folders: Markdown summary, self-contained HTML, plots, compare, trend."""

from harness.report.writer import WrittenReport, write_report

__all__ = ["WrittenReport", "write_report"]
