"""The header: where we are (context, namespace scope) and how old the data is; the pods in view
(the namespace's, not their nodes'); their nodes, with the one closest to memory pressure. Every
figure labelled with its column's name. Below it, a banner for what is missing or failing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from kubectl_mem.kube.live import LiveState
from kubectl_mem.model.totals import NodeTotals, PodTotals, node_totals, nodes_of, pod_totals
from kubectl_mem.model.views import NodeView, PodView, Snapshot
from kubectl_mem.report import columns as cols
from kubectl_mem.report.fmt import UNBOUNDED, parse_time, pct, size
from kubectl_mem.tui.refresh import ViewData
from kubectl_mem.tui.samples import duration


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


Totals = tuple[PodTotals, NodeTotals]


def header_text(data: ViewData, now: dt.datetime, totals: Totals) -> Text:
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
    pods, nodes = totals
    text.append("\n")
    text.append_text(pods_line(pods))
    text.append("\n")
    text.append_text(nodes_line(nodes, all_nodes=f.namespace is None))
    return text


# the header names its figures as the tables head their columns (report/columns/)
_WORDS = {c.key: c.words for c in (*cols.NODE_COLUMNS, *cols.POD_COLUMNS)}


def _figure(text: Text, key: str, value: str, *, first: bool = False) -> None:
    text.append(("" if first else "  ") + _WORDS[key] + " ", style="dim")
    text.append(value)


def pods_line(t: PodTotals) -> Text:
    """The pods in view (the namespace's, under :ns): their working set, requests and limits."""
    text = Text()
    text.append("pods ", style="dim")
    text.append(str(t.count), style="bold")
    _figure(text, "memory", size(t.working_set))
    if t.without_usage:
        text.append(f" ({t.without_usage} running without metrics)", style="dim")
    _figure(text, "requests", size(t.requests))
    _figure(text, "limits", size(t.limits, missing=UNBOUNDED))
    return text


def nodes_line(t: NodeTotals, *, all_nodes: bool) -> Text:
    """The nodes those pods run on: their working set against allocatable, every pod's requests
    on them, and the one with the least headroom before the kubelet evicts."""
    text = Text()
    text.append("nodes " if all_nodes else "their nodes ", style="dim")
    text.append(str(t.count), style="bold")
    _figure(text, "memory", size(t.working_set))
    if t.working_set is not None:
        text.append(f" of {size(t.allocatable_of_known)} ", style="")
        text.append("allocatable", style="dim")
        text.append(f" ({pct(t.pct_working_set)})")
        if t.without_usage:
            text.append(f" ({t.without_usage} without metrics)", style="dim")
    _figure(text, "requests", size(t.requests))
    if t.pct_requests is not None:
        text.append(f" ({pct(t.pct_requests)} of allocatable)")
    node = t.tightest
    text.append("  least " + _WORDS["headroom"] + " ", style="dim")
    if node is None:
        text.append("-")
    else:
        style = "bold red" if node.memory_pressure or (node.headroom or 0) <= 0 else "bold"
        text.append(node.node.name, style=style)
        text.append(f" {size(node.headroom)}")
    return text


def empty_totals() -> Totals:
    return pod_totals(()), node_totals(())


def scope_totals(pods: Sequence[PodView], nodes: Sequence[NodeView], namespace: str | None) -> Totals:
    """The header's sums: the pods shown; all nodes, or under a namespace the nodes of its pods."""
    return pod_totals(pods), node_totals(nodes if namespace is None else nodes_of(pods, nodes))


class ClusterHeader(Static):
    DEFAULT_CSS = """
    ClusterHeader { height: auto; max-height: 4; padding: 0 1; background: $boost; }
    """

    def show(self, data: ViewData, now: dt.datetime, totals: Totals) -> None:
        """Draw `data` with the sums the app made for it (KubectlMemApp.header_totals)."""
        self.update(header_text(data, now, totals))


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
