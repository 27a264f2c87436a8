"""Timeouts of a conformance run, named as upstream's TimeoutConfig fields."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}


def parse_duration(text: str) -> float:
    """Seconds from ``"30"``, ``"30s"``, ``"100ms"`` or ``"2m"``."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"bad duration {text!r}; write seconds (30), or 30s, 100ms, 2m")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


@dataclasses.dataclass(frozen=True)
class TimeoutConfig:
    """Every bound a conformance run waits for, in seconds (upstream defaults)."""

    TestIsolation: float = 0.0
    CreateTimeout: float = 60.0
    DeleteTimeout: float = 30.0
    GetTimeout: float = 10.0
    GatewayMustHaveAddress: float = 180.0
    GatewayMustHaveCondition: float = 180.0
    GatewayStatusMustHaveListeners: float = 60.0
    GatewayListenersMustHaveConditions: float = 60.0
    ListenerSetMustHaveCondition: float = 180.0
    ListenerSetListenersMustHaveConditions: float = 60.0
    GWCMustBeAccepted: float = 180.0
    HTTPRouteMustNotHaveParents: float = 60.0
    HTTPRouteMustHaveCondition: float = 60.0
    TLSRouteMustHaveCondition: float = 60.0
    TCPRouteMustHaveCondition: float = 60.0
    UDPRouteMustHaveCondition: float = 60.0
    RouteMustHaveParents: float = 60.0
    ManifestFetchTimeout: float = 10.0
    MaxTimeToConsistency: float = 30.0
    NamespacesMustBeReady: float = 300.0
    RequestTimeout: float = 10.0
    LatestObservedGenerationSet: float = 60.0
    DefaultTestTimeout: float = 60.0
    DefaultPollInterval: float = 0.1
    RequiredConsecutiveSuccesses: int = 3

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    def with_values(self, values: Mapping[str, str | float | int]) -> TimeoutConfig:
        """A copy with ``values`` applied; unknown names or bad numbers raise ValueError."""
        changes: dict[str, float | int] = {}
        names = self.field_names()
        for name, raw in values.items():
            if name not in names:
                raise ValueError(
                    f"unknown timeout {name!r}; valid names: {', '.join(sorted(names))}"
                )
            if name == "RequiredConsecutiveSuccesses":
                count = int(raw)
                if count < 1:
                    raise ValueError("RequiredConsecutiveSuccesses must be at least 1")
                changes[name] = count
            else:
                seconds = parse_duration(raw) if isinstance(raw, str) else float(raw)
                if seconds < 0:
                    raise ValueError(f"timeout {name} must not be negative")
                changes[name] = seconds
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def with_overrides(self, text: str) -> TimeoutConfig:
        """Apply upstream's ``--timeout-config-overrides`` syntax: ``"Name:N;Name:N"``."""
        values: dict[str, str] = {}
        for item in filter(None, (part.strip() for part in text.split(";"))):
            name, sep, value = item.partition(":")
            if not sep or not value.strip():
                raise ValueError(
                    f"bad timeout override {item!r}; write Name:seconds, "
                    "e.g. MaxTimeToConsistency:60;RequestTimeout:5"
                )
            values[name.strip()] = value.strip()
        return self.with_values(values)
