"""One pod: each container's working set against request and limit, the kernel's breakdown of its
cgroups once collected (key `c`), the samples taken since the app started with their trend, the
OOM and eviction story, eviction rank and oom_score_adj."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Static

from kubectl_mem.model.cgroup import Figures
from kubectl_mem.model.history import describe_termination
from kubectl_mem.model.views import NodeView, PodView
from kubectl_mem.report import columns as cols
from kubectl_mem.report.fmt import size
from kubectl_mem.tui.refresh import ViewData
from kubectl_mem.tui.samples import duration
from kubectl_mem.tui.screens.base import COLLECT_CGROUPS, DataScreen
from kubectl_mem.tui.widgets.bars import BreakdownBar, BreakdownBars, MemoryBar, breakdown_legend
from kubectl_mem.tui.widgets.sparkline import MemorySparkline

OOM_KILLS = next(c for c in cols.FIGURE_COLUMNS if c.key == "cg_oom_kills")


def time_ago(then: float) -> str:
    return duration(max(0.0, time.time() - then)) + " ago"


RISK_STYLE = {
    "critical": "bold red",
    "high": "yellow",
    "medium": "",
    "low": "dim",
    "unknown": "dim",
    "none": "dim",
}


_POD = {c.key: c for c in cols.POD_COLUMNS}
SUMMARY_KEYS = ("memory", "request", "limit", "restarts", "oom")


def summary_text(p: PodView) -> Text:
    pod = p.pod
    t = Text()
    t.append(f"pod {pod.namespace}/{pod.name}", style="bold")
    t.append(f"  on {pod.node or '<unscheduled>'}  {p.status or pod.phase or '?'}")
    qos = p.qos_class + (" (computed)" if p.qos_computed else "")
    t.append(f"\nQoS {qos}", style="bold magenta" if p.qos_class == "BestEffort" else "")
    prio = f"  priority {p.priority}" + (f" ({pod.priority_class_name})" if pod.priority_class_name else "")
    t.append(prio)
    if pod.owner_kind:
        t.append(f"  owner {pod.owner_kind}/{pod.owner_name}")
    # the pod's row, as the table names and writes it (and where its working set comes from)
    t.append(
        "\n"
        + "  ".join(
            f"{_POD[k].words} {_POD[k].text(p)}" + (_source(p) if k == "memory" else "") for k in SUMMARY_KEYS
        )
    )
    t.append("\nrisk ")
    t.append(p.risk.text, style=RISK_STYLE.get(p.risk.level, ""))
    t.append(f"  EVICT# {p.eviction.text}")
    t.append(f"\n{p.verdict}")
    for reason in p.risk.reasons:
        t.append(f"\n  • {reason}")
    return t


def _source(p: PodView) -> str:
    return " (kubelet Summary API)" if p.usage_source == "summary" else ""


# given up first when the screen is narrow: titles are never cut (they are the CLI's names)
CONTAINER_DROP = ("oom_score_adj", "headroom", "pct_request", "last", "request", "oom", "restarts")


class ContainersTable:
    """Each container's row under the column spec's names, with as many columns as the width
    holds (a Rich renderable: it fits itself to the width it is drawn at)."""

    def __init__(self, p: PodView) -> None:
        self.pod = p
        keep = ("namespace", "pod")
        self.columns = [c for c in cols.CONTAINER_COLUMNS if c.key not in keep]
        self.cells = {c.key: [c.text((p, ctr)) for ctr in p.containers] for c in self.columns}

    def _need(self, c: cols.Column) -> int:
        return max([len(c.title), *(len(t) for t in self.cells[c.key])])

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        columns = list(self.columns)
        drop = list(CONTAINER_DROP)
        while drop and sum(self._need(c) for c in columns) + 2 * (len(columns) - 1) > options.max_width:
            key = drop.pop(0)
            columns = [c for c in columns if c.key != key]
        table = Table(box=None, pad_edge=False, expand=False, header_style="bold")
        for c in columns:
            table.add_column(c.title, justify=c.align, no_wrap=True, min_width=len(c.title))
        for i in range(len(self.pod.containers)):
            table.add_row(*[self.cells[c.key][i] for c in columns])
        yield table


def containers_table(p: PodView) -> ContainersTable:
    return ContainersTable(p)


def story_text(p: PodView, node: NodeView | None) -> Text:
    """OOM and eviction history, then where the pod stands in its node's eviction order."""
    t = Text()
    t.append("history\n", style="bold")
    told = False
    for c in p.containers:
        if c.last_termination is not None:
            told = True
            style = "red" if c.oom_killed else ""
            when = f" at {c.last_termination.finished_at}" if c.last_termination.finished_at else ""
            t.append(f"  {c.name}: {describe_termination(c.last_termination)}{when}", style=style)
            t.append(f", {c.restart_count} restarts\n")
    if p.evicted is not None:
        told = True
        ev = p.evicted
        t.append("  evicted", style="bold red")
        detail = f": node low on {ev.resource}" if ev.resource else ""
        if ev.threshold:
            detail += f" (threshold {ev.threshold}, available {ev.available})"
        t.append(f"{detail}\n")
        if ev.raw and not ev.resource:
            t.append(f"  {ev.raw}\n", style="dim")
    if not told:
        t.append("  no OOM kill, restart or eviction recorded\n", style="dim")
    t.append("eviction\n", style="bold")
    place = p.eviction
    if not place.ranked:
        t.append(f"  not ranked ({p.status or 'not running on a node'})\n", style="dim")
    elif place.critical:
        t.append(f"  {place.words}: the kubelet ranks it but never evicts it\n", style="bold")
    else:
        t.append(f"  {place.words} under memory pressure")
        t.append(" (1st = evicted first: over-request usage first, then lower priority, then more over)\n")
        if not place.exact:
            t.append(
                f"  usage unknown for {place.unknown} pod{'s' if place.unknown != 1 else ''} of the node: "
                "its place is only known within that range\n"
            )
    if place.ranked:
        if p.working_set is not None:
            over = p.working_set - p.request
            word = "over" if over > 0 else "under"
            t.append(f"  using {size(abs(over))} {word} its request, priority {p.priority}\n")
        if node is not None:
            t.append(f"  node headroom to its eviction threshold: {size(node.headroom, missing='unknown')}\n")
    t.append("oom_score_adj ", style="bold")
    t.append(
        "  ".join(f"{c.name}={c.oom_score_adj}" for c in p.containers)
        + "  (higher: the kernel kills it first when the node itself runs out)"
    )
    return t


class PodDetailScreen(DataScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="back"),
        COLLECT_CGROUPS,
    ]

    def __init__(self, uid: str) -> None:
        super().__init__()
        self.uid = uid
        self._containers: tuple[str, ...] = ()
        self._cgroup_rows: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with VerticalScroll(id="pod-body"):
            yield Static(id="pod-summary")
            yield Static(id="pod-containers")
            yield Static("memory (working set against request │ and limit)", classes="section")
            yield Vertical(id="pod-bars")
            yield Static(id="pod-cgroup-title", classes="section")
            yield BreakdownBars(id="pod-cgroups")
            yield Static("samples since start", classes="section")
            yield Vertical(id="pod-trends")
            yield Static(id="pod-story")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#pod-body").focus()

    def action_back(self) -> None:
        self.app.pop_screen()

    def legend(self) -> list[cols.Column]:
        return [c for c in cols.CONTAINER_COLUMNS if c.key not in ("namespace", "pod")]

    def _pod(self) -> PodView | None:
        f = self.kapp.data.fetched
        return next((p for p in f.loaded.snapshot.pods if p.pod.uid == self.uid), None) if f else None

    def action_collect_cgroups(self) -> None:
        pod = self._pod()
        node = pod.pod.node if pod is not None else ""
        self.kapp.collect_cgroups([node] if node else [])
        if pod is not None:
            self._cgroups(pod)

    def show_data(self, data: ViewData, new_snapshot: bool) -> None:
        if data.fetched is None:
            return
        snap = data.fetched.loaded.snapshot
        pod = next((p for p in snap.pods if p.pod.uid == self.uid), None)
        summary = self.query_one("#pod-summary", Static)
        if pod is None:
            summary.update(Text("this pod is gone: it was not in the last refresh (esc: back)", style="bold"))
            return
        node = next((n for n in snap.nodes if n.node.name == pod.pod.node), None)
        summary.update(summary_text(pod))
        self.query_one("#pod-containers", Static).update(containers_table(pod))
        self.query_one("#pod-story", Static).update(story_text(pod, node))
        self._bars(pod)
        self._cgroups(pod)

    def _cgroups(self, pod: PodView) -> None:
        """The kernel's breakdown of the pod's cgroups, once its node was collected (key `c`)."""
        title = self.query_one("#pod-cgroup-title", Static)
        box = self.query_one("#pod-cgroups", BreakdownBars)
        collection = self.kapp.cgroups
        overlay = collection.overlay
        node = pod.pod.node
        pc = overlay.pod(pod.pod.uid) if overlay is not None else None
        failed = overlay.failed.get(node) if overlay is not None else None
        # every container of the pod: its cgroup's figures, or why it had none (in back-off ...)
        rows: list[tuple[str, Figures | None, int | None]] = []
        if pc is not None:
            for c in pod.containers:
                fig, missing = pc.container(c.name), pc.missing(c.name)
                if fig is not None:
                    rows.append((c.name, fig, c.limit))
                elif missing is not None:
                    rows.append((cols.no_cgroup(c.name, missing.state), None, c.limit))
            rows.append(("(pod)", pc.figures, pod.limit))
        names = tuple(name for name, _, _ in rows)
        if names != self._cgroup_rows:
            self._cgroup_rows = names
            box.remove_children()
            box.mount_all(BreakdownBar(name, fig, limit=limit) for name, fig, limit in rows)
        else:
            for widget, (_, fig, limit) in zip(box.query(BreakdownBar), rows, strict=False):
                widget.update(fig, limit)
        running = collection.running and node in collection.nodes
        if pc is not None:
            head = Text(f"kernel: cgroups of the pod on {node}", style="bold")
            if collection.collected_at.get(node):
                head.append(f", read {time_ago(collection.collected_at[node])}", style="")
            if running:
                head.append("  (collecting again…)", style="")
            head.append("\n")
            head.append_text(breakdown_legend())
            if pc.figures.oom_kills is None and pc.figures.oom_kills_not_counted:
                # as `cgroups node/X` says it: the pod's count is unknown there, never 0
                head.append(f"\n{OOM_KILLS.words} of the pod -: {pc.figures.oom_kills_not_counted}")
            title.update(head)
        elif running:
            title.update(f"kernel: collecting the cgroups of {node}…")
        elif failed:
            title.update(Text(f"kernel: not collected: {failed}", style="bold red"))
        elif node:
            key = self.key_for("collect-cgroups")
            title.update(
                f"kernel: press {key} to read this pod's cgroups on {node} (a short-lived collector pod)"
            )
        else:
            title.update("kernel: the pod is not on a node")

    def _bars(self, pod: PodView) -> None:
        settings = self.kapp.settings
        samples = self.kapp.samples
        names = tuple(c.name for c in pod.containers)
        bars = self.query_one("#pod-bars", Vertical)
        trends = self.query_one("#pod-trends", Vertical)
        if names != self._containers:
            self._containers = names
            bars.remove_children()
            trends.remove_children()
            bars.mount_all(
                MemoryBar(
                    c.name,
                    c.working_set,
                    limit=c.limit,
                    request=c.request,
                    warn_pct=settings.warn_pct,
                    critical_pct=settings.critical_pct,
                )
                for c in pod.containers
            )
            trends.mount_all(
                MemorySparkline(c.name, samples.points(pod.pod.uid, c.name), c.limit) for c in pod.containers
            )
            return
        for widget, c in zip(bars.query(MemoryBar), pod.containers, strict=False):
            widget.limit, widget.request = c.limit, c.request
            widget.value = c.working_set
            widget.refresh()
        for widget, c in zip(trends.query(MemorySparkline), pod.containers, strict=False):
            widget.set_points(samples.points(pod.pod.uid, c.name), c.limit)
