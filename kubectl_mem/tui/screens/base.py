"""What every data screen shares: the header and banner, data arriving from the app (drawn when
the screen is shown, not while hidden), and a table with `/` filter, `esc` and sort keys."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Input, Static

from kubectl_mem.report import columns as cols
from kubectl_mem.tui.refresh import ViewData
from kubectl_mem.tui.samples import duration
from kubectl_mem.tui.viewstate import SortKey, TableState
from kubectl_mem.tui.widgets.header import Banner, ClusterHeader
from kubectl_mem.tui.widgets.table import LineTable

if TYPE_CHECKING:
    from kubectl_mem.tui.app import KubectlMemApp


def sort_bindings(keys: tuple[SortKey, ...]) -> list[BindingType]:
    return [
        Binding(k.key, f"sort({k.column!r}, {k.descending!r})", f"Sort by {k.label}", show=False, id=k.id)
        for k in keys
    ]


class DataScreen(Screen):
    """A screen drawn from the app's `ViewData`."""

    def __init__(self, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._drawn_generation = -1
        self._dirty = True
        self._retries = 0

    @property
    def kapp(self) -> KubectlMemApp:
        return cast("KubectlMemApp", self.app)

    def compose_header(self) -> ComposeResult:
        yield ClusterHeader(id="header")
        yield Banner(id="banner")

    def on_mount(self) -> None:
        self.watch(self.app, "data", self._data_changed, init=True)
        self.set_interval(1.0, self._clock_tick)

    def on_screen_resume(self) -> None:
        if self._dirty:
            self._draw(self.kapp.data)

    def _data_changed(self, data: ViewData) -> None:
        if self.is_current:
            self._draw(data)
        else:
            self._dirty = True

    def _draw(self, data: ViewData) -> None:
        self._dirty = False
        drawn = self._drawn_generation
        try:
            self.query_one(ClusterHeader).show(data, self.kapp.clock(), self.kapp.header_totals())
            self.query_one(Banner).show(data)
            self._drawn_generation = data.generation
            self.show_data(data, data.generation != drawn)
        except NoMatches:
            # Resumed before all its widgets are mounted (a screen's nested widgets mount after
            # the screen; seen with `enter` at 20k pods on a busy machine): draw once they are.
            self._drawn_generation = drawn
            self._dirty = True
            self._retries += 1
            if self._retries <= 20:
                self.call_after_refresh(self._redraw)
            else:
                raise
        else:
            self._retries = 0

    def _redraw(self) -> None:
        if self._dirty and self.is_current:
            self._draw(self.kapp.data)

    def _clock_tick(self) -> None:
        if self.is_current:
            self.query_one(ClusterHeader).show(self.kapp.data, self.kapp.clock(), self.kapp.header_totals())

    def show_data(self, data: ViewData, new_snapshot: bool) -> None:
        """Draw `data`; `new_snapshot` is False when only the refresh status changed."""

    def key_for(self, binding_id: str) -> str:
        """The key that runs a binding here, as the user's keymap has it (for hints)."""
        for active in self.app.active_bindings.values():
            if active.binding.id == binding_id:
                return self.app.get_key_display(active.binding)
        return binding_id


COLLECT_CGROUPS = Binding("c", "collect_cgroups", "Cgroups", id="collect-cgroups")


class FilterInput(Input):
    """The `/` prompt under the table (k9s): regex, `!` inverts, `-l key=value` for labels."""

    DEFAULT_CSS = """
    FilterInput { dock: bottom; display: none; height: 3; border: tall $accent; }
    FilterInput.-shown { display: block; }
    """


class TableScreen(DataScreen):
    """A data screen around one `LineTable`: filter, esc, sorts, enter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: resolved as the key arrives, so the box has focus before the next key is
        # routed (typed fast, pasted or sent by tmux, the filter's letters would drive the table).
        Binding("slash", "filter", "Filter", priority=True, id="filter"),
        Binding("escape", "back", "Back", id="back"),
    ]
    TITLE_NAME = "rows"

    table: LineTable
    state: TableState

    def compose_title(self) -> ComposeResult:
        yield Static(id="table-title")

    def compose_filter(self) -> ComposeResult:
        yield FilterInput(placeholder="filter: regex, !regex inverts, -l key=value", id="filter")

    def update_title(self) -> None:
        shown = len(getattr(self.state, "pod_rows", self.state.rows))
        total = len(self.state.all)
        count = f"[{shown}]" if shown == total else f"[{shown} of {total}]"
        sort = self.state.sort
        title = next((c.title for c in self.state.columns if c.key == sort.column), sort.column)
        parts = [
            f"{self.TITLE_NAME}({self.title_scope()}){count}",
            f"sort {title}{'↓' if sort.descending else '↑'}",
        ]
        read = self.kapp.cgroups.collected_at
        if read:  # key c: how old the kernel's columns are (they stay until c is pressed again)
            age = duration(max(0.0, time.time() - min(read.values())))
            parts.append(f"cgroups of {len(read)} node{'' if len(read) == 1 else 's'} read {age} ago")
        f = self.state.filter
        if f.text:
            parts.append(f"filter /{f.text}" + (f" ({f.error})" if f.error else ""))
        if getattr(self.state, "hide_terminated", False):
            parts.append("ended pods hidden (t)")
        self.query_one("#table-title", Static).update("  ".join(parts))
        self.table.empty_text = self.empty_message()
        if not self.state.rows:
            self.table.refresh()

    def empty_message(self) -> str:
        data = self.kapp.data
        if data.fetched is None:
            return "loading…" if not data.error else "no data yet: " + data.error
        if self.state.filter.active:
            return "nothing matches the filter (esc clears it)"
        return "nothing to show"

    def title_scope(self) -> str:
        return ""

    def legend(self) -> list[cols.Column]:
        """The columns this screen's table can show, for the help screen's legend."""
        return list(self.table.state.columns)

    def on_line_table_cursor_moved(self, event: LineTable.CursorMoved) -> None:
        self.update_title()

    def action_filter(self) -> None:
        box = self.query_one(FilterInput)
        box.add_class("-shown")
        # Focus now, not on the next idle (what `box.focus()` does): keys typed right after `/`
        # (a fast typist, a paste, tmux send-keys) must land in the box, not drive the table.
        self.app.set_focus(box)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.state.set_filter(event.value)
        self.table.reorder()
        self.update_title()

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        box = self.query_one(FilterInput)
        if not event.value:
            box.remove_class("-shown")
        self.table.focus()

    def clear_filter(self) -> bool:
        box = self.query_one(FilterInput)
        shown = box.has_class("-shown")
        box.remove_class("-shown")
        if not self.state.filter.text and not box.value:
            if shown:
                self.table.focus()
            return shown
        box.value = ""
        self.state.set_filter("")
        self.table.reorder()
        self.update_title()
        self.table.focus()
        return True

    def action_back(self) -> None:
        if self.clear_filter():
            return
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_sort(self, column: str, descending: bool) -> None:
        self.state.toggle_sort(column, descending)
        self.table.reorder()
        self.update_title()

    def check_action(self, action: str, parameters: tuple[Any, ...]) -> bool | None:
        if action == "filter":  # a `/` typed in an input is text
            return not isinstance(self.app.focused, Input)
        if action == "back" and len(self.app.screen_stack) <= 1:
            return bool(self.state.filter.text) or self.query_one(FilterInput).has_class("-shown")
        return True
