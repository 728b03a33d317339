"""The working-set samples taken while the app runs, and what they say: growth rate and the
projected time to reach the limit. Pure: no Textual, no I/O.

One compact array per pod and per container ((time index, bytes) pairs), so an hour of samples of
a 20,000-pod cluster stays a few megabytes. Written by the refresh worker, read by the UI.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from kubectl_mem.model.views import Snapshot


@dataclass(frozen=True)
class Trend:
    samples: int
    span_seconds: float
    rate: float | None  # bytes per second (least squares); None with fewer than 2 samples
    time_to_limit: float | None  # seconds until the limit at this rate; None unless growing to a limit


class Samples:
    def __init__(self, max_samples: int = 360) -> None:
        self.max_samples = max_samples
        self.times: list[float] = []  # epoch seconds of each recorded snapshot
        self._series: dict[str | tuple[str, str], array] = {}

    def record(self, at: float, snapshot: Snapshot) -> None:
        if not snapshot.metrics_available:
            return
        if self.times and at <= self.times[-1]:
            at = self.times[-1] + 1e-6  # a fixed or coarse clock: keep times increasing
        self.times.append(at)
        i = len(self.times) - 1
        series = self._series
        cap = 2 * self.max_samples
        for p in snapshot.pods:
            if p.working_set is None:
                continue
            uid = p.pod.uid
            self._add(series, uid, i, p.working_set, cap)
            for c in p.containers:
                if c.working_set is not None:
                    self._add(series, (uid, c.name), i, c.working_set, cap)

    @staticmethod
    def _add(series: dict, key: str | tuple[str, str], i: int, value: int, cap: int) -> None:
        a = series.get(key)
        if a is None:
            series[key] = array("q", (i, value))
            return
        a.append(i)
        a.append(value)
        if len(a) > cap:
            del a[:2]

    def points(self, uid: str, container: str | None = None) -> list[tuple[float, int]]:
        a = self._series.get(uid if container is None else (uid, container))
        if a is None:
            return []
        values = a.tolist()
        times = self.times
        return [(times[values[j]], values[j + 1]) for j in range(0, len(values), 2)]

    def forget(self, live_uids: set[str]) -> None:
        """Drop the series of pods that are gone."""
        for key in [k for k in self._series if (k if isinstance(k, str) else k[0]) not in live_uids]:
            del self._series[key]


def trend(points: Sequence[tuple[float, int]], limit: int | None) -> Trend:
    n = len(points)
    if n < 2:
        return Trend(n, 0.0, None, None)
    t0 = points[0][0]
    xs = [t - t0 for t, _ in points]
    ys = [float(v) for _, v in points]
    mx = sum(xs) / n
    my = sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx <= 0:
        return Trend(n, 0.0, None, None)
    rate = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    ttl = None
    if limit is not None and rate > 0:
        ttl = max(0.0, (limit - ys[-1]) / rate)
    return Trend(n, xs[-1], rate, ttl)


def duration(seconds: float) -> str:
    """Short human durations: 45s, 12m, 3h20m, 2d4h."""
    s = int(round(seconds))
    if s < 120:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h}h{m:02d}m" if m else f"{h}h"
    d, h = divmod(s // 3600, 24)
    return f"{d}d{h}h" if h else f"{d}d"
