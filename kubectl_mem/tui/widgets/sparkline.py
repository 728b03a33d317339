"""The working-set samples taken since the app started, as a sparkline with their trend:
growth rate and, where usage grows toward a limit, the projected time to reach it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from kubectl_mem.report.fmt import size
from kubectl_mem.tui.samples import Trend, duration, trend

BLOCKS = "▁▂▃▄▅▆▇█"


def spark(values: Sequence[int], width: int) -> str:
    """The last `width` values scaled between their min and max (flat: the lowest block)."""
    if not values or width <= 0:
        return ""
    values = list(values)[-width:]
    lo, hi = min(values), max(values)
    if hi == lo:
        return BLOCKS[0] * len(values)
    top = len(BLOCKS) - 1
    return "".join(BLOCKS[round(top * (v - lo) / (hi - lo))] for v in values)


def trend_text(t: Trend, limit: int | None) -> str:
    if t.samples < 2 or t.rate is None:
        return f"{t.samples} sample{'s' if t.samples != 1 else ''} so far: no trend yet"
    per_min = t.rate * 60
    sign = "+" if per_min >= 0 else "-"
    rate = f"{sign}{size(int(abs(per_min)))}/min"
    text = f"{t.samples} samples over {duration(t.span_seconds)}, {rate}"
    if t.time_to_limit is not None:
        text += f", reaches its limit in ~{duration(t.time_to_limit)}"
    elif limit is None and t.rate > 0:
        text += ", growing without a limit"
    elif t.rate <= 0:
        text += ", not growing"
    return text


class MemorySparkline(Widget):
    DEFAULT_CSS = """
    MemorySparkline { height: 2; }
    """

    def __init__(
        self, label: str, points: Sequence[tuple[float, int]], limit: int | None, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.label = label
        self.points = list(points)
        self.limit = limit

    def set_points(self, points: Sequence[tuple[float, int]], limit: int | None) -> None:
        self.points = list(points)
        self.limit = limit
        self.refresh()

    def render(self) -> Text:
        label_w = min(24, max(8, len(self.label) + 1))
        values = [v for _, v in self.points]
        text = Text(self.label[: label_w - 1].ljust(label_w), style="bold")
        line = spark(values, max(1, self.size.width - label_w - 16))
        text.append(line or "(no samples yet)", style="cyan")
        if values:
            text.append(f"  {size(values[-1])}")
        text.append(
            "\n" + " " * label_w + trend_text(trend(self.points, self.limit), self.limit), style="dim"
        )
        return text
