"""Nodes by headroom to their eviction threshold; enter shows a node's pods in eviction order."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Footer

from kubectl_mem.model.views import NodeView
from kubectl_mem.tui.refresh import ViewData
from kubectl_mem.tui.screens.base import COLLECT_CGROUPS, TableScreen, sort_bindings
from kubectl_mem.tui.viewstate import NODE_SORT_KEYS, NodeState
from kubectl_mem.tui.widgets.pod_table import NodeTable
from kubectl_mem.tui.widgets.table import LineTable


class NodesScreen(TableScreen):
    BINDINGS: ClassVar[list[BindingType]] = [COLLECT_CGROUPS, *sort_bindings(NODE_SORT_KEYS)]
    TITLE_NAME = "nodes"

    def __init__(self) -> None:
        super().__init__(id="nodes")
        self.state = NodeState()
        self.table = NodeTable(self.state, id="node-table")
        self._node_rows: tuple[NodeView, ...] = ()

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
        return "cluster"

    def show_data(self, data: ViewData, new_snapshot: bool) -> None:
        assert isinstance(self.table, NodeTable)
        changed = self.table.set_cgroups(self.kapp.cgroups.overlay)
        # after key c, the collected nodes' own AVAILABLE and HEADROOM (AVAILABLE FROM says so)
        nodes = self.kapp.node_views()
        if nodes is not self._node_rows:
            self._node_rows = nodes
            self.state.set_rows(nodes)
            changed = True
        if changed:
            self.table.new_rows()
        self.update_title()

    def action_collect_cgroups(self) -> None:
        """The kernel's figures of every node shown (the filter applies)."""
        self.kapp.collect_cgroups([n.node.name for n in self.state.rows])

    def on_line_table_selected(self, event: LineTable.Selected) -> None:
        from kubectl_mem.tui.screens.node_detail import NodeDetailScreen

        self.app.push_screen(NodeDetailScreen(event.row.node.name))
