"""Strict readers for the fields of a results document, each error naming the field's path."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from harness.results.errors import ResultsError


class FieldReader:
    """Reads one JSON object; every error names the source file and the field's path."""

    def __init__(self, data: Any, path: str, source: str) -> None:
        if not isinstance(data, Mapping):
            raise ResultsError(f"{source}: {path} must be an object, got {_kind(data)}")
        self.data = data
        self.path = path
        self.source = source

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, problem: str) -> ResultsError:
        return ResultsError(f"{self.source}: {self._where(key)} {problem}")

    def check_keys(self, allowed: Sequence[str]) -> None:
        """Reject keys this schema version does not define (a typo in a producer)."""
        unknown = sorted(set(self.data) - set(allowed))
        if unknown:
            where = self.path or "the document"
            raise ResultsError(
                f"{self.source}: {where} has unknown field(s) {', '.join(unknown)}; "
                f"known: {', '.join(allowed)}"
            )

    def raw(self, key: str, default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "is missing")
            return default
        return self.data[key]

    def string(self, key: str, default: str | None = None) -> str:
        value = self.raw(key, ... if default is None else default)
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, got {_kind(value)}")
        return value

    def choice(self, key: str, allowed: Sequence[str], default: str | None = None) -> str:
        value = self.string(key, default)
        if value not in allowed:
            raise self.fail(key, f"is {value!r}; expected one of {', '.join(allowed)}")
        return value

    def boolean(self, key: str, default: bool | None = None) -> bool:
        value = self.raw(key, ... if default is None else default)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, got {_kind(value)}")
        return value

    def integer(self, key: str, default: int | None = None) -> int:
        value = self.raw(key, ... if default is None else default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be an integer, got {_kind(value)}")
        return value

    def number(self, key: str, default: float | None = None) -> float:
        value = self.raw(key, ... if default is None else default)
        return self._to_float(key, value)

    def _to_float(self, key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"must be a number, got {_kind(value)}")
        result = float(value)
        if not math.isfinite(result):
            raise self.fail(key, f"must be a finite number, got {value!r}")
        return result

    def numbers(self, key: str, default: list[float] | None = None) -> list[float]:
        value = self.raw(key, ... if default is None else default)
        if not isinstance(value, list):
            raise self.fail(key, f"must be a list of numbers, got {_kind(value)}")
        return [self._to_float(f"{key}[{i}]", item) for i, item in enumerate(value)]

    def strings(self, key: str, default: list[str] | None = None) -> list[str]:
        value = self.raw(key, ... if default is None else default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, f"must be a list of strings, got {_kind(value)}")
        return list(value)

    def obj(self, key: str, default: Any = ...) -> FieldReader:
        return FieldReader(self.raw(key, default), self._where(key), self.source)

    def optional_obj(self, key: str) -> FieldReader | None:
        value = self.raw(key, None)
        if value is None:
            return None
        return FieldReader(value, self._where(key), self.source)

    def objects(self, key: str, default: list[Any] | None = None) -> list[FieldReader]:
        value = self.raw(key, ... if default is None else default)
        if not isinstance(value, list):
            raise self.fail(key, f"must be a list of objects, got {_kind(value)}")
        return [
            FieldReader(item, f"{self._where(key)}[{i}]", self.source)
            for i, item in enumerate(value)
        ]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {value}".lower()
    if isinstance(value, str):
        return f"string {value[:40]!r}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
