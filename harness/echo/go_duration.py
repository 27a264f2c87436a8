"""Parse durations with the grammar and error texts of Go's time.ParseDuration."""

from __future__ import annotations

__all__ = ["parse_go_duration"]

_UNIT_NANOS: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # U+00B5 micro sign
    "\u03bcs": 1_000,  # U+03BC Greek small letter mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_MAX_NANOS = (1 << 63) - 1
_DIGITS = "0123456789"


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _invalid(orig: str) -> ValueError:
    return ValueError(f"time: invalid duration {_quote(orig)}")


def parse_go_duration(text: str) -> int:
    """Return the duration in nanoseconds; raise ValueError with Go's message on bad input."""
    orig = text
    negative = False
    if text and text[0] in "+-":
        negative = text[0] == "-"
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise _invalid(orig)
    total = 0
    while text:
        if text[0] != "." and text[0] not in _DIGITS:
            raise _invalid(orig)
        i = 0
        while i < len(text) and text[i] in _DIGITS:
            i += 1
        whole_digits, text = text[:i], text[i:]
        frac_digits = ""
        if text.startswith("."):
            text = text[1:]
            j = 0
            while j < len(text) and text[j] in _DIGITS:
                j += 1
            frac_digits, text = text[:j], text[j:]
        if not whole_digits and not frac_digits:
            raise _invalid(orig)
        k = 0
        while k < len(text) and text[k] != "." and text[k] not in _DIGITS:
            k += 1
        if k == 0:
            raise ValueError(f"time: missing unit in duration {_quote(orig)}")
        unit, text = text[:k], text[k:]
        unit_nanos = _UNIT_NANOS.get(unit)
        if unit_nanos is None:
            raise ValueError(f"time: unknown unit {_quote(unit)} in duration {_quote(orig)}")
        whole = int(whole_digits) if whole_digits else 0
        if whole > _MAX_NANOS:
            raise _invalid(orig)
        value = whole * unit_nanos
        if frac_digits:
            # Go truncates the fractional part towards zero at nanosecond precision.
            value += int(frac_digits) * unit_nanos // (10 ** len(frac_digits))
        if value > _MAX_NANOS:
            raise _invalid(orig)
        total += value
        if total > _MAX_NANOS:
            raise _invalid(orig)
    return -total if negative else total
