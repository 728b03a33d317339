"""Formatting of typed values for people: sizes as kubectl shows them, percentages, ages."""

from __future__ import annotations

import datetime as dt

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


def parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def age(value: str | None, now: dt.datetime) -> str:
    """kubectl's short durations: 45s, 12m, 3h, 5d."""
    t = parse_time(value)
    if t is None:
        return "-"
    seconds = max(0, int((now - t).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
