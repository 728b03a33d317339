"""The header: where we are (context, namespace scope), the cluster's memory, the node closest to
memory pressure, and how old the data is. Below it, a banner for what is missing or failing."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.widgets import Static

from kubectl_mem.kube.live import LiveState
from kubectl_mem.model.views import NodeView, Snapshot
from kubectl_mem.report.fmt import parse_time, size
from kubectl_mem.tui.refresh import ViewData
from kubectl_mem.tui.samples import duration


def closest_to_pressure(nodes: tuple[NodeView, ...]) -> NodeView | None:
    known = [n for n in nodes if n.headroom is not None]
    if not known:
        return None
    return min(known, key=lambda n: (n.headroom, n.node.name))


def ago(then: dt.datetime | None, now: dt.datetime) -> str:
    if then is None:
        return "-"
    return duration(max(0.0, (now - then).total_seconds()))


def watch_words(live: LiveState | None) -> tuple[str, str] | None:
    """How the watches behind the data are doing: quiet while they work, loud while they do not."""
    if live is None:
        return None
    if live.watching:
        return "watching", "dim"
    if live.retry_in is not None:
        return f"watch lost, reconnecting in {live.retry_in:.0f}s", "bold yellow"
    return "watch lost, reconnecting", "bold yellow"


def header_text(data: ViewData, now: dt.datetime) -> Text:
    text = Text(no_wrap=False)
    f = data.fetched
    if f is None:
        text.append("kubectl mem", style="bold")
        text.append("  connecting…" if not data.error else "  no data", style="dim")
        return text
    snap: Snapshot = f.loaded.snapshot
    text.append("ctx ", style="dim")
    text.append(f.context, style="bold")
    text.append("  ns ", style="dim")
    text.append(f.namespace or "all", style="bold")
    text.append("  pods ", style="dim")
    text.append(f"{len(f.loaded.shown)}")
    text.append("  nodes ", style="dim")
    text.append(f"{len(snap.nodes)}")
    text.append("  refreshed ", style="dim")
    text.append(f"{ago(data.refreshed_at, now)} ago")
    watch = watch_words(f.live)
    if watch is not None:
        words, style = watch
        text.append("  ")
        text.append(words, style=style)
    if snap.metrics_available:
        text.append("  metrics ", style="dim")
        text.append(f"{ago(parse_time(snap.metrics_timestamp), now)} old")
    else:
        text.append("  no metrics", style="bold yellow")
    text.append("\n")
    used = sum(n.working_set or 0 for n in snap.nodes)
    alloc = sum(n.node.allocatable_memory for n in snap.nodes)
    requests = sum(n.requests for n in snap.nodes)
    text.append("mem ", style="dim")
    if alloc:
        text.append(f"{size(used)}/{size(alloc)} ({100 * used / alloc:.0f}%)")
        text.append("  req ", style="dim")
        text.append(f"{size(requests)} ({100 * requests / alloc:.0f}%)")
    else:
        text.append("-")
    node = closest_to_pressure(snap.nodes)
    text.append("  nearest pressure ", style="dim")
    if node is None:
        text.append("-")
    else:
        style = "bold red" if node.memory_pressure or (node.headroom or 0) <= 0 else "bold"
        text.append(node.node.name, style=style)
        text.append(f" {size(node.headroom)} left")
    return text


class ClusterHeader(Static):
    DEFAULT_CSS = """
    ClusterHeader { height: auto; max-height: 3; padding: 0 1; background: $boost; }
    """

    def show(self, data: ViewData, now: dt.datetime) -> None:
        self.update(header_text(data, now))


def banner_lines(data: ViewData) -> list[tuple[str, str]]:
    """(severity, message): the last refresh failure, then what the data lacks."""
    lines: list[tuple[str, str]] = []
    if data.error:
        if data.fetched is None:
            lines.append(("error", f"{data.error} (retrying)"))
        else:
            lines.append(("error", f"refresh failed, showing data from before: {data.error} (retrying)"))
    if data.fetched is not None:
        live = data.fetched.live
        if live is not None and not live.watching and live.error:
            lines.append(("warning", f"{live.error}; changes since are shown once the watch is back"))
        for p in data.fetched.loaded.problems:
            lines.append(("warning" if p.partial else "information", p.message))
    return lines


class Banner(Static):
    DEFAULT_CSS = """
    Banner { height: auto; max-height: 4; padding: 0 1; display: none; }
    Banner.-warning { display: block; background: $warning-muted; color: $text; }
    Banner.-error { display: block; background: $error-muted; color: $text; }
    Banner.-information { display: block; background: $boost; color: $text-muted; }
    """

    def show(self, data: ViewData) -> None:
        lines = banner_lines(data)
        self.set_class(any(s == "error" for s, _ in lines), "-error")
        self.set_class(any(s == "warning" for s, _ in lines) and not self.has_class("-error"), "-warning")
        self.set_class(bool(lines) and all(s == "information" for s, _ in lines), "-information")
        prefix = {"error": "✖ ", "warning": "⚠ ", "information": "ℹ "}
        self.update(Text("\n".join(prefix[s] + m for s, m in lines)))
