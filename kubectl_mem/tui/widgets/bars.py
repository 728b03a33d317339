"""Horizontal bars: a working set against its request and limit, a node against its threshold,
and a cgroup's usage broken down by the kernel (anon, shmem, kernel, page cache)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import Vertical
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


# the parts of a cgroup's usage, as drawn: what cannot be reclaimed first, page cache last
BREAKDOWN: tuple[tuple[str, str, str, str], ...] = (
    ("anon", "anon", "█", "bold red"),
    ("shmem", "shmem", "█", "magenta"),
    ("kernel", "kernel", "▓", "blue"),
    ("active_file", "active cache", "▒", "yellow"),
    ("inactive_file", "inactive cache", "░", "green"),
)


def breakdown_bar(figures: Any, *, limit: int | None, width: int = 30) -> Text:
    """`██████▓▒▒░░·····` : anon, shmem, kernel, active and inactive page cache, then `·` up to the
    limit (without one, up to the usage plus a quarter)."""
    width = max(4, width)
    parts = [(getattr(figures, key) or 0, char, style) for key, _, char, style in BREAKDOWN]
    total = sum(n for n, _, _ in parts)
    scale = limit if limit else max(total, 1) * 1.25
    text = Text()
    used = 0
    drawn = 0
    for n, char, style in parts:
        used += n
        upto = min(width, round(width * used / scale))
        if upto > drawn:
            text.append(char * (upto - drawn), style=style)
            drawn = upto
    text.append("·" * (width - drawn), style="dim")
    return text


def breakdown_label(figures: Any, *, limit: int | None) -> str:
    """What the bar shows, in numbers: `anon 400Mi  shmem 0  kernel 6Mi  cache 60Mi+40Mi ...`."""
    if figures.source == "summary":
        return (
            f"RSS {size(figures.anon)}  working set {size(figures.working_set)}  usage {size(figures.usage)}"
            "  (kubelet Summary API: no breakdown without a collector pod)"
        )
    parts = [
        f"anon {size(figures.anon)}",
        f"shmem {size(figures.shmem)}",
        f"kernel {size(figures.kernel)}",
        f"cache {size(figures.active_file)} active + {size(figures.inactive_file)} inactive",
        f"reclaimable {size(figures.reclaimable)}",
    ]
    if figures.peak is not None:
        parts.append(f"peak {size(figures.peak)}")
    parts.append(f"of {size(limit)} limit" if limit else "no limit")
    if figures.oom_kills is not None or figures.oom_kills_not_counted:
        parts.append(f"OOM-kills {'-' if figures.oom_kills is None else figures.oom_kills}")
    return "  ".join(parts)


class BreakdownBar(Widget):
    """One labelled cgroup: `api  ██████▓▒▒░░····  anon 400Mi  shmem 0  kernel 6Mi  cache ...`.
    The label wraps under the bar when the screen is narrow. Without figures (a container that
    had no cgroup) only the label, which says why."""

    DEFAULT_CSS = """
    BreakdownBar { height: auto; }
    """

    def __init__(self, label: str, figures: Any | None, *, limit: int | None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.label = label
        self.figures = figures
        self.limit = limit

    def update(self, figures: Any | None, limit: int | None) -> None:
        self.figures, self.limit = figures, limit
        self.refresh(layout=True)

    def render(self) -> Text:
        if self.figures is None:  # a container without a cgroup: its label says why
            return Text(self.label, style="bold")
        label_w = min(24, max(8, len(self.label) + 1))
        width = max(10, min(40, (self.size.width - label_w) // 3))  # the numbers need the rest
        text = Text(self.label[: label_w - 1].ljust(label_w), style="bold")
        text.append_text(breakdown_bar(self.figures, limit=self.limit, width=width))
        text.append("  " + breakdown_label(self.figures, limit=self.limit))
        return text


def breakdown_legend() -> Text:
    text = Text()
    for _, name, char, style in BREAKDOWN:
        text.append(char * 2, style=style)
        text.append(f" {name}  ")
    return text


class BreakdownBars(Vertical):
    """The cgroup bars of a pod: one per container, and the pod's own."""

    DEFAULT_CSS = """
    BreakdownBars { height: auto; margin-bottom: 1; }
    """
