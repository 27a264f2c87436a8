"""HDR latency histograms in microseconds: create, encode, decode, merge, summarize."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 60_000_000  # 60 s
SIGNIFICANT_DIGITS = 3


def new_histogram() -> HdrHistogram:
    """An empty histogram covering 1 µs .. 60 s at 3 significant digits."""
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


def record_seconds(histogram: HdrHistogram, seconds: float) -> None:
    """Record one latency given in seconds, clamped into the trackable range."""
    micros = int(seconds * 1_000_000)
    histogram.record_value(min(max(micros, LOWEST_US), HIGHEST_US))


def encode(histogram: HdrHistogram) -> str:
    """The standard HdrHistogram compressed base64 encoding."""
    encoded: bytes = histogram.encode()
    return encoded.decode("ascii")


def decode(encoded: str) -> HdrHistogram:
    histogram: HdrHistogram = HdrHistogram.decode(encoded.encode("ascii"))
    return histogram


def merge(encoded_histograms: Iterable[str]) -> HdrHistogram:
    """One histogram holding every value of the encoded ones."""
    total = new_histogram()
    for encoded in encoded_histograms:
        total.add(decode(encoded))
    return total


@dataclass(frozen=True)
class LatencySummary:
    """Percentiles of one histogram, in microseconds."""

    count: int
    min_us: int
    mean_us: float
    p50_us: int
    p90_us: int
    p99_us: int
    p999_us: int
    max_us: int

    @classmethod
    def of(cls, histogram: HdrHistogram) -> LatencySummary:
        count = int(histogram.get_total_count())
        if count == 0:
            return cls(0, 0, 0.0, 0, 0, 0, 0, 0)
        return cls(
            count=count,
            min_us=int(histogram.get_min_value()),
            mean_us=round(float(histogram.get_mean_value()), 1),
            p50_us=int(histogram.get_value_at_percentile(50.0)),
            p90_us=int(histogram.get_value_at_percentile(90.0)),
            p99_us=int(histogram.get_value_at_percentile(99.0)),
            p999_us=int(histogram.get_value_at_percentile(99.9)),
            max_us=int(histogram.get_max_value()),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LatencySummary:
        return cls(
            count=data["count"],
            min_us=data["min_us"],
            mean_us=data["mean_us"],
            p50_us=data["p50_us"],
            p90_us=data["p90_us"],
            p99_us=data["p99_us"],
            p999_us=data["p99_9_us"],
            max_us=data["max_us"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "min_us": self.min_us,
            "mean_us": self.mean_us,
            "p50_us": self.p50_us,
            "p90_us": self.p90_us,
            "p99_us": self.p99_us,
            "p99_9_us": self.p999_us,
            "max_us": self.max_us,
        }
