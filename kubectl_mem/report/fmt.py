"""Formatting of typed values for people: sizes as kubectl shows them, percentages, ages."""

from __future__ import annotations

import datetime as dt

from kubectl_mem.model.words import duration, ordinal, parse_time

__all__ = ["age", "ordinal", "parse_time", "pct", "size"]

_UNITS = ((1 << 40, "Ti"), (1 << 30, "Gi"), (1 << 20, "Mi"), (1 << 10, "Ki"))


def size(n: int | None, *, missing: str = "-") -> str:
    """Binary units like `kubectl top` (123Mi); one decimal below 10 units so 1.5Gi stays 1.5Gi."""
    if n is None:
        return missing
    sign = "-" if n < 0 else ""
    n = abs(n)
    for scale, unit in _UNITS:
        if n >= scale:
            value = n / scale
            if value < 10 and n % scale:
                return f"{sign}{value:.1f}{unit}"
            return f"{sign}{round(value)}{unit}"
    return f"{sign}{n}"


def pct(p: float | None, *, missing: str = "-") -> str:
    return missing if p is None else f"{p:.0f}%"


def age(value: str | None, now: dt.datetime) -> str:
    """kubectl's short durations since `value`: 45s, 12m, 3h, 5d; "-" when unknown."""
    t = parse_time(value)
    return "-" if t is None else duration((now - t).total_seconds())
