"""Horizontal bars: a working set against its request and limit, a node against its threshold."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from kubectl_mem.report.fmt import pct, size


def bar(
    value: int | None,
    *,
    limit: int | None,
    request: int | None = None,
    width: int = 30,
    warn_pct: float = 70.0,
    critical_pct: float = 90.0,
) -> Text:
    """`████████▒▒│░░░░░░` : used (coloured by % of limit), request marker `│`, empty to the limit.
    Without a limit the scale is the larger of usage and request, plus a quarter, and ends open."""
    width = max(4, width)
    used = value or 0
    scale = limit if limit else max(used, request or 0, 1) * 1.25
    filled = min(width, round(width * used / scale)) if scale else 0
    marker = min(width - 1, round(width * request / scale)) if request and scale else None
    share = 100.0 * used / limit if limit else None
    style = "green"
    if share is not None and share >= critical_pct:
        style = "bold red"
    elif share is not None and share >= warn_pct:
        style = "yellow"
    text = Text()
    for i in range(width):
        if marker is not None and i == marker:
            text.append("│", style="bold")
        elif i < filled:
            text.append("█", style=style)
        else:
            text.append("░" if limit else "·", style="dim")
    return text


def bar_label(value: int | None, *, limit: int | None, request: int | None) -> str:
    parts = [size(value, missing="no usage")]
    if limit:
        parts.append(f"of {size(limit)} limit ({pct(100.0 * (value or 0) / limit)})")
    else:
        parts.append("no limit")
    if request:
        parts.append(f"request {size(request)}")
    return "  ".join(parts)


class MemoryBar(Widget):
    """One labelled bar: `name  ██████▒▒│░░░  412Mi of 512Mi limit (80%)  request 256Mi`."""

    DEFAULT_CSS = """
    MemoryBar { height: 1; }
    """

    value: reactive[int | None] = reactive(None)

    def __init__(
        self,
        label: str,
        value: int | None,
        *,
        limit: int | None,
        request: int | None = None,
        warn_pct: float = 70.0,
        critical_pct: float = 90.0,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.label = label
        self.limit = limit
        self.request = request
        self.warn_pct = warn_pct
        self.critical_pct = critical_pct
        self.set_reactive(MemoryBar.value, value)

    def render(self) -> Text:
        label_w = min(24, max(8, len(self.label) + 1))
        tail = bar_label(self.value, limit=self.limit, request=self.request)
        width = max(8, min(40, self.size.width - label_w - len(tail) - 2))
        text = Text(self.label[: label_w - 1].ljust(label_w), style="bold")
        text.append_text(
            bar(
                self.value,
                limit=self.limit,
                request=self.request,
                width=width,
                warn_pct=self.warn_pct,
                critical_pct=self.critical_pct,
            )
        )
        text.append("  " + tail)
        return text
