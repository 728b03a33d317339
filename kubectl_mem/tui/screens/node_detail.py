"""One node: its memory against the eviction threshold, and its pods in the order the kubelet
would evict them under memory pressure (1 = first)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Footer, Static

from kubectl_mem.model.cgroup import NodeCgroup, available_from
from kubectl_mem.model.views import NodeView
from kubectl_mem.report.fmt import UNBOUNDED, size
from kubectl_mem.tui.refresh import ViewData
from kubectl_mem.tui.screens.base import TableScreen
from kubectl_mem.tui.screens.pods import POD_BINDINGS
from kubectl_mem.tui.viewstate import PodState, SortSpec, row_pod
from kubectl_mem.tui.widgets.bars import MemoryBar
from kubectl_mem.tui.widgets.pod_table import PodTable
from kubectl_mem.tui.widgets.table import LineTable


def kernel_line(own: NodeCgroup | None, failed: str | None) -> Text:
    """What the node's own cgroups said (key `c`), or why they could not be read."""
    t = Text()
    if own is not None:
        t.append("\nkernel ", style="bold")
        if own.source == "cgroup":
            t.append(
                f"memory.available {size(own.memory_available)} (the node's own: MemTotal "
                f"{size(own.mem_total)} - root working set {size(own.root_working_set)})"
            )
            if own.root is not None:
                t.append(f"  reclaimable {size(own.root.reclaimable)}")
            t.append(f"  pods {size(own.pods_working_set)} of {size(own.pods_limit, missing=UNBOUNDED)}")
            if own.pods_oom_kills_not_counted:
                t.append(f"\nOOM-kills of its pods -: {own.pods_oom_kills_not_counted}")
        else:
            t.append(f"memory.available {size(own.memory_available)} (kubelet Summary API)")
    elif failed:
        t.append("\nkernel not collected: ", style="bold red")
        t.append(failed)
    return t


def node_summary(n: NodeView, available_from: str = "metrics") -> Text:
    """The node's figures under its columns' names; AVAILABLE and HEADROOM say where they come
    from once key c read the node's own (as AVAILABLE FROM does on :nodes)."""
    t = Text()
    t.append(f"node {n.node.name}", style="bold")
    pressure = {True: "MemoryPressure", False: "no memory pressure"}.get(
        n.memory_pressure, "pressure unknown"
    )
    t.append(f"  {pressure}", style="bold red" if n.memory_pressure else "")
    t.append(
        f"\ncapacity {size(n.node.capacity_memory)}  allocatable {size(n.node.allocatable_memory)}"
        f"  available {size(n.available)}"
        + (f" (from {available_from})" if available_from != "metrics" and n.available is not None else "")
        + f"  threshold {size(n.threshold)}  headroom {size(n.headroom)}"
    )
    t.append(
        f"\nrequests {size(n.requests)}  limits {size(n.limits, missing=UNBOUNDED)}"
        f"  pods {n.pod_count} ({n.pods_without_limit} without a limit)"
    )
    return t


class NodeDetailScreen(TableScreen):
    BINDINGS: ClassVar[list[BindingType]] = POD_BINDINGS
    TITLE_NAME = "eviction order"

    def __init__(self, node: str) -> None:
        super().__init__()
        self.node_name = node
        settings = self.kapp.settings
        self.state = PodState(SortSpec("rank", False))
        self.table = PodTable(
            self.state, warn_pct=settings.warn_pct, critical_pct=settings.critical_pct, id="node-pods"
        )
        self.warn_pct = settings.warn_pct
        self.critical_pct = settings.critical_pct

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static(id="node-summary")
        yield MemoryBar("working set", None, limit=None, id="node-bar")
        yield from self.compose_title()
        yield self.table
        yield from self.compose_filter()
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.table.focus()

    def title_scope(self) -> str:
        return self.node_name

    def show_data(self, data: ViewData, new_snapshot: bool) -> None:
        summary = self.query_one("#node-summary", Static)
        if data.fetched is None:
            return
        snap = data.fetched.loaded.snapshot
        # after key c: the node's own memory.available and headroom, as on :nodes
        node = next((n for n in self.kapp.node_views() if n.node.name == self.node_name), None)
        if node is None:
            summary.update(Text(f"node {self.node_name} is gone (not in the last refresh)", style="bold"))
            self.state.set_rows([])
            self.table.empty_text = "no pods"
            self.table.new_rows()
            return
        overlay = self.kapp.cgroups.overlay
        text = node_summary(node, available_from(overlay, node.node.name))
        if overlay is not None:
            text.append_text(kernel_line(overlay.node(node.node.name), overlay.failed.get(node.node.name)))
        summary.update(text)
        bar = self.query_one("#node-bar", MemoryBar)
        bar.label = "node memory"
        # scale: capacity minus the threshold is where eviction starts
        bar.limit = node.node.capacity_memory - node.threshold if node.node.capacity_memory else None
        bar.request = node.requests or None
        bar.value = node.working_set
        bar.refresh()
        assert isinstance(self.table, PodTable)
        changed = self.table.set_cgroups(overlay)
        if new_snapshot:
            changed = False
            wanted = set(node.eviction_order)
            self.state.set_rows([p for p in snap.pods if p.key in wanted])
            self.table.all_namespaces = True
            self.table.has_metrics = snap.metrics_available
            self.table.new_rows()
        if changed:
            self.table.new_rows()
        self.update_title()

    def on_line_table_selected(self, event: LineTable.Selected) -> None:
        from kubectl_mem.tui.screens.pod_detail import PodDetailScreen

        self.app.push_screen(PodDetailScreen(row_pod(event.row).pod.uid))

    def action_toggle_containers(self) -> None:
        assert isinstance(self.table, PodTable)
        self.table.toggle_expanded()

    def action_collect_cgroups(self) -> None:
        self.kapp.collect_cgroups([self.node_name])
