"""HDR latency histograms in microseconds: create, encode, decode, merge, summarize; per second."""

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


@dataclass(frozen=True)
class SecondLatency:
    """Latency percentiles of the responses that completed in one second of a run (µs)."""

    second: int
    count: int
    p50_us: int
    p90_us: int
    p99_us: int

    @classmethod
    def of(cls, second: int, histogram: HdrHistogram) -> SecondLatency:
        summary = LatencySummary.of(histogram)
        return cls(second, summary.count, summary.p50_us, summary.p90_us, summary.p99_us)

    def percentile_us(self, name: str) -> int:
        """The percentile named ``p50``, ``p90`` or ``p99``."""
        values = {"p50": self.p50_us, "p90": self.p90_us, "p99": self.p99_us}
        if name not in values:
            raise KeyError(f"no per-second percentile {name!r}; there are {', '.join(values)}")
        return values[name]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SecondLatency:
        return cls(data["second"], data["count"], data["p50_us"], data["p90_us"], data["p99_us"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "second": self.second,
            "count": self.count,
            "p50_us": self.p50_us,
            "p90_us": self.p90_us,
            "p99_us": self.p99_us,
        }


class SecondHistograms:
    """One latency histogram per second of a run, keyed like the run's per-second counts.

    A histogram holds about 140 KB of counters but encodes to a few KB, so a second is
    encoded once a response two seconds later arrives: memory stays flat on long runs. A
    response that still arrives for an encoded second (threads may record slightly out of
    order) reopens it, so none is lost.
    """

    def __init__(self) -> None:
        self._open: dict[int, HdrHistogram] = {}
        self._encoded: dict[int, str] = {}
        self._newest = -1

    def record(self, second: int, latency_s: float) -> None:
        histogram = self._open.get(second)
        if histogram is None:
            histogram = self._reopen(second)
        record_seconds(histogram, latency_s)

    def _reopen(self, second: int) -> HdrHistogram:
        encoded = self._encoded.pop(second, None)
        histogram = decode(encoded) if encoded is not None else new_histogram()
        self._open[second] = histogram
        if second > self._newest:
            self._newest = second
            for older in [s for s in self._open if s < second - 1]:
                self._encoded[older] = encode(self._open.pop(older))
        return histogram

    def encoded(self) -> dict[int, str]:
        """Every second's histogram, encoded, in second order."""
        every = dict(self._encoded)
        every.update((second, encode(histogram)) for second, histogram in self._open.items())
        return dict(sorted(every.items()))

    def summaries(self) -> tuple[SecondLatency, ...]:
        every = dict(self._open)
        every.update((second, decode(text)) for second, text in self._encoded.items())
        return tuple(SecondLatency.of(s, h) for s, h in sorted(every.items()))
