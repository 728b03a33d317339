"""Small shared wording: RFC 3339 times, kubectl's short durations, ordinals.

One place for them, so the risk reasons, explain's story and the tables all say "14m" and "2nd" alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


def parse_time(value: str | None) -> datetime | None:
    """An API timestamp ("2026-11-22T12:00:00Z") as an aware datetime; None when absent or malformed."""
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def duration(seconds: float) -> str:
    """kubectl's short durations: 45s, 12m, 3h, 5d (two units' worth before switching up)."""
    s = max(0, int(seconds))
    if s < 120:
        return f"{s}s"
    if s < 7200:
        return f"{s // 60}m"
    if s < 172800:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def ago(then: str | None, now: str | datetime | None) -> str:
    """ "14m ago"; "" when either time is unknown."""
    a = parse_time(then)
    b = parse_time(now) if isinstance(now, str) or now is None else now
    if a is None or b is None:
        return ""
    return f"{duration((b - a).total_seconds())} ago"


@lru_cache(maxsize=1024)
def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
