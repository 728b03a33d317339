"""Formatting of typed values for people: sizes as kubectl shows them, percentages, ages."""

from __future__ import annotations

import datetime as dt

from kubectl_mem.model.quantity import canonical_binary, format_bytes
from kubectl_mem.model.words import duration, ordinal, parse_time

__all__ = ["UNBOUNDED", "age", "change_text", "exact", "ordinal", "parse_time", "pct", "size"]

UNBOUNDED = "unbounded"  # no limit: the same word for a pod's, a container's, a cgroup's, a node's sum


def size(n: int | None, *, missing: str = "-") -> str:
    """A byte count as every view writes it (model.quantity.format_bytes: 302Mi, 1.5Gi, 1Gi);
    `missing` when unknown."""
    return missing if n is None else format_bytes(n)


def exact(n: int | None) -> str:
    """A recommended value exactly as it goes into the command (1035Mi, not 1.0Gi); "none"."""
    return "none" if n is None else canonical_binary(n)


def change_text(what: str, now: int | None, new: int | None, changed: bool, *, arrow: str = "->") -> str:
    """`request 256Mi -> 536Mi`, or `limit 1Gi (unchanged)`: an unchanged value is no change
    (explain, the interactive view's workload detail)."""
    if not changed:
        return f"{what} {exact(now)} (unchanged)"
    return f"{what} {exact(now)} {arrow} {exact(new)}"


def pct(p: float | None, *, missing: str = "-") -> str:
    return missing if p is None else f"{p:.0f}%"


def age(value: str | None, now: dt.datetime) -> str:
    """kubectl's short durations since `value`: 45s, 12m, 3h, 5d; "-" when unknown."""
    t = parse_time(value)
    return "-" if t is None else duration((now - t).total_seconds())
