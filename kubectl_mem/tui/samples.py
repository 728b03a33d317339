"""The working-set samples taken while the app runs, and what they say: growth rate and the
projected time to reach the limit. Pure: no Textual, no I/O.

Per container (what the drill-down draws), the working sets of consecutive refreshes in one
array of KiB (4 bytes a sample), from the refresh where the container was first seen: 20,000 pods
(~29,000 containers) at 90 samples hold ~10 MiB; (time, bytes) pairs of 8-byte ints for pods and
containers alike would have held ~280 MiB after an hour. Written by the refresh worker, read by
the UI.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from kubectl_mem.model.views import Snapshot

GAP = 0xFFFFFFFF  # no sample at this refresh (metrics missing for the container)
MAX_KIB = GAP - 1  # 4 TiB: larger working sets are stored at this value


@dataclass(frozen=True)
class Trend:
    samples: int
    span_seconds: float
    rate: float | None  # bytes per second (least squares); None with fewer than 2 samples
    time_to_limit: float | None  # seconds until the limit at this rate; None unless growing to a limit


class _Series:
    __slots__ = ("first", "values")

    def __init__(self, first: int, kib: int) -> None:
        self.first = first  # index in Samples.times of values[0]
        self.values = array("I", (kib,))


class Samples:
    def __init__(self, max_samples: int = 90) -> None:
        self.max_samples = max_samples
        self.times: list[float] = []  # epoch seconds of each recorded snapshot
        self._series: dict[tuple[str, str], _Series] = {}

    def record(self, at: float, snapshot: Snapshot) -> None:
        if not snapshot.metrics_available:
            return
        if self.times and at <= self.times[-1]:
            at = self.times[-1] + 1e-6  # a fixed or coarse clock: keep times increasing
        self.times.append(at)
        i = len(self.times) - 1
        series = self._series
        cap = self.max_samples
        for p in snapshot.pods:
            uid = p.pod.uid
            for c in p.containers:
                ws = c.working_set
                if ws is None:
                    continue
                kib = min(ws >> 10, MAX_KIB)
                s = series.get((uid, c.name))
                if s is None:
                    series[(uid, c.name)] = _Series(i, kib)
                    continue
                values = s.values
                missing = i - (s.first + len(values))
                if missing > 0:
                    values.extend(array("I", (GAP,)) * min(missing, cap))
                    s.first = i - len(values)
                values.append(kib)
                extra = len(values) - cap
                if extra > 0:
                    del values[:extra]
                    s.first += extra

    def points(self, uid: str, container: str) -> list[tuple[float, int]]:
        """(time, working set in bytes) of one container, oldest first."""
        s = self._series.get((uid, container))
        if s is None:
            return []
        times = self.times
        return [(times[s.first + j], v << 10) for j, v in enumerate(s.values) if v != GAP]

    def highest(self) -> dict[tuple[str, str], int]:
        """The highest working set seen of each container, in bytes, by (pod uid, container): what
        the workload recommendations build on while the view is open."""
        out = {}
        for key, s in self._series.items():
            top = max(s.values)  # GAP is the largest uint32: only a series with a gap needs a scan
            if top == GAP:
                top = max((v for v in s.values if v != GAP), default=GAP)
                if top == GAP:
                    continue
            out[key] = top << 10
        return out

    def forget(self, live_uids: set[str]) -> None:
        """Drop the series of pods that are gone."""
        for key in [k for k in self._series if k[0] not in live_uids]:
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
