"""The main screen: pods by risk, expandable to containers; enter opens a pod."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer

from kubectl_mem.model.views import PodView
from kubectl_mem.tui.refresh import ViewData
from kubectl_mem.tui.screens.base import COLLECT_CGROUPS, TableScreen, sort_bindings
from kubectl_mem.tui.viewstate import POD_SORT_KEYS, PodState, SortSpec, row_pod
from kubectl_mem.tui.widgets.pod_table import PodTable
from kubectl_mem.tui.widgets.table import LineTable

POD_BINDINGS: list[BindingType] = [
    Binding("space", "toggle_containers", "Expand", id="toggle-containers"),
    Binding("t", "toggle_terminated", "Ended", show=False, id="toggle-terminated"),
    COLLECT_CGROUPS,
    *sort_bindings(POD_SORT_KEYS),
]


class PodsScreen(TableScreen):
    BINDINGS: ClassVar[list[BindingType]] = POD_BINDINGS
    TITLE_NAME = "pods"
    ONE_NAMESPACE = False  # its pods are all of one namespace: no NAMESPACE column

    def __init__(self, id: str | None = "pods") -> None:
        super().__init__(id=id)
        settings = self.kapp.settings
        self.state = PodState(SortSpec(*settings.sort), hide_terminated=settings.hide_terminated)
        self.table = PodTable(
            self.state, warn_pct=settings.warn_pct, critical_pct=settings.critical_pct, id="pod-table"
        )

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield from self.compose_title()
        yield self.table
        yield from self.compose_filter()
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.table.focus()

    def title_scope(self) -> str:
        f = self.kapp.data.fetched
        return "all" if f is None or f.namespace is None else f.namespace

    def show_data(self, data: ViewData, new_snapshot: bool) -> None:
        assert isinstance(self.table, PodTable)
        changed = self.table.set_cgroups(self.kapp.cgroups.overlay)  # key c: the kernel's columns
        if new_snapshot and data.fetched is not None:
            self.table.all_namespaces = data.fetched.namespace is None and not self.ONE_NAMESPACE
            self.table.has_metrics = data.fetched.loaded.snapshot.metrics_available
            self.state.set_rows(self.pods_of(data))
            changed = True
        if changed:
            self.table.new_rows()
        self.update_title()

    def pods_of(self, data: ViewData) -> Sequence[PodView]:
        """The pods this screen lists (a workload's screen narrows them to its own)."""
        assert data.fetched is not None
        return data.fetched.loaded.shown

    def empty_message(self) -> str:
        data = self.kapp.data
        if data.fetched is None or self.state.filter.active:
            return super().empty_message().replace("nothing matches", "no pods match")
        ns = data.fetched.namespace
        return "no pods in any namespace" if ns is None else f"no pods in namespace {ns} (0: all namespaces)"

    def on_line_table_selected(self, event: LineTable.Selected) -> None:
        from kubectl_mem.tui.screens.pod_detail import PodDetailScreen

        self.app.push_screen(PodDetailScreen(row_pod(event.row).pod.uid))

    def action_toggle_containers(self) -> None:
        assert isinstance(self.table, PodTable)
        self.table.toggle_expanded()
        self.update_title()

    def action_toggle_terminated(self) -> None:
        """Ended pods (Succeeded, Failed, Evicted) are history: show or hide them."""
        self.state.set_hide_terminated(not self.state.hide_terminated)
        self.table.new_rows()
        self.update_title()
        shown = "hidden" if self.state.hide_terminated else "shown"
        self.notify(f"ended pods (history, no live risk) {shown}", title="pods")

    def action_collect_cgroups(self) -> None:
        """The kernel's figures of the selected pod's node (all its pods come with it)."""
        row = self.table.cursor_row
        if row is None:
            self.notify("no pod selected", title="cgroups", severity="warning")
            return
        node = row_pod(row).pod.node
        self.kapp.collect_cgroups([node] if node else [])
