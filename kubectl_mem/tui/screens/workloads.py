"""`:workloads` (`:wl`): workloads by idle memory, the rows of `kubectl mem workloads`; enter shows one
workload: its figures, the recommendation with what it rests on (the samples taken while the view is
open) and the exact command, and its pods (enter again: a pod)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Footer, Static

from kubectl_mem.model.views import PodView
from kubectl_mem.model.workloads import WorkloadRow
from kubectl_mem.report import workloads as wl
from kubectl_mem.report.columns.workloads import limits_text, lower_bound, pods_text
from kubectl_mem.report.fmt import change_text, pct, size
from kubectl_mem.tui.refresh import ViewData
from kubectl_mem.tui.screens.base import TableScreen, sort_bindings
from kubectl_mem.tui.screens.pods import PodsScreen
from kubectl_mem.tui.viewstate import WORKLOAD_SORT_KEYS, WorkloadState
from kubectl_mem.tui.widgets.table import LineTable
from kubectl_mem.tui.widgets.workload_table import WorkloadTable


def _rows(data: ViewData) -> tuple[WorkloadRow, ...] | None:
    f = data.fetched
    if f is None or f.workloads is None:
        return None
    return f.workloads.rows


class WorkloadsScreen(TableScreen):
    BINDINGS: ClassVar[list[BindingType]] = sort_bindings(WORKLOAD_SORT_KEYS)
    TITLE_NAME = "workloads"

    def __init__(self) -> None:
        super().__init__(id="workloads")
        self.state = WorkloadState()
        self.table = WorkloadTable(self.state, id="workload-table")

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static(id="workload-totals")
        yield from self.compose_title()
        yield self.table
        yield from self.compose_filter()
        yield Footer()

    def on_mount(self) -> None:
        self.kapp.want_workloads()  # the owners are listed, and the roll-up made, from now on
        super().on_mount()
        self.table.focus()

    def title_scope(self) -> str:
        f = self.kapp.data.fetched
        return "all" if f is None or f.namespace is None else f.namespace

    def show_data(self, data: ViewData, new_snapshot: bool) -> None:
        rows = _rows(data)
        if new_snapshot and rows is not None and data.fetched is not None:
            f = data.fetched
            assert f.workloads is not None
            self.table.all_namespaces = f.namespace is None
            self.table.has_metrics = wl.usage_known(f.workloads)  # metrics.k8s.io or the Summary API
            self.state.set_rows(rows)
            self.table.new_rows()
            metrics = f.loaded.snapshot.metrics_available
            totals = wl.totals_line(f.workloads, namespace=f.namespace, metrics=metrics)
            # how many samples the recommendations rest on: more with every refresh while open
            note = wl.recommendation_note(rows, interactive=True) if wl.usage_known(f.workloads) else ""
            self.query_one("#workload-totals", Static).update((totals + note).rstrip())
        self.update_title()

    def empty_message(self) -> str:
        data = self.kapp.data
        if data.fetched is not None and data.fetched.workloads is None and not data.error:
            return "listing the pods' owners…"
        if data.fetched is None or self.state.filter.active:
            return super().empty_message().replace("nothing matches", "no workloads match")
        return "no workloads here"

    def on_line_table_selected(self, event: LineTable.Selected) -> None:
        self.app.push_screen(WorkloadDetailScreen(event.row.key))


def workload_summary(r: WorkloadRow) -> Text:
    """The workload's figures, and its recommendation with what it rests on and the command."""
    t = Text()
    t.append(f"{r.target}", style="bold")
    t.append(f"  namespace {r.namespace}  pods {pods_text(r.active, r.desired)}")
    if r.unmeasured:
        t.append(f" ({r.unmeasured} without usage)")
    if r.inferred:
        t.append("  owner inferred, not read from the API", style="bold")
    t.append(
        f"\nrequests {size(r.requested)}  working set {lower_bound(r.used, r.unmeasured)}"
        f"  idle {lower_bound(r.idle, r.unmeasured + r.idle_unmeasured)} ({pct(r.idle_pct)})"
        f"  limits {limits_text(r.limits, r.containers_without_limit)}"
        f"  OOM {r.oom_kills}  evicted {r.evictions}"
    )
    if r.spread is not None:
        s = r.spread
        t.append(
            f"\nworking set per replica {size(s.min)} / {size(s.median)} / {size(s.max)} (min / median / max)"
        )
    if r.daemonset is not None:
        d = r.daemonset
        share = (
            "" if d.share_max is None else f", {pct(d.share_min)}-{pct(d.share_max)} of a node's allocatable"
        )
        t.append(f"\non {d.nodes} nodes: {size(d.request_per_pod)} requested per node{share}")
    w = r.recommendation
    if w is None:
        return t
    t.append("\nrecommendation", style="bold")
    t.append(f" from {w.history}")
    for c in w.recommendation.containers:
        if c.basis == "none" and not c.oom_bump:
            t.append(f"\n  {c.container}: unchanged ({c.usage_source})")
            continue
        # as explain says it: the values of the command below, an unchanged one not as a change
        request = change_text("request", c.current_request, c.request, c.request_changed, arrow="→")
        limit = change_text("limit", c.current_limit, c.limit, c.limit_changed, arrow="→")
        t.append(
            f"\n  {c.container}: {request}, {limit}" + (" (bumped after an OOM kill)" if c.oom_bump else "")
        )
    if w.saving is not None:
        verb = "frees" if w.saving >= 0 else "asks for"
        replicas = f"{r.active} replica{'s' if r.active != 1 else ''}"
        t.append(f"\n  {verb} {size(abs(w.saving))} of request across {replicas}")
    if w.recommendation.command:
        t.append("\n")
        t.append(w.recommendation.command, style="bold")
    for caveat in w.recommendation.caveats:
        t.append(f"\n  {caveat}", style="italic")
    return t


class WorkloadDetailScreen(PodsScreen):
    """One workload: its figures and recommendation above, and the pods view narrowed to its pods
    below (the same table and keys: t hides its ended pods, c adds the kernel's columns, enter
    opens a pod)."""

    ONE_NAMESPACE = True

    def __init__(self, key: str) -> None:
        super().__init__(id=None)
        self.workload_key = key
        self._row: WorkloadRow | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static(id="workload-summary")
        yield from self.compose_title()
        yield self.table
        yield from self.compose_filter()
        yield Footer()

    def title_scope(self) -> str:
        kind, _, rest = self.workload_key.partition("/")
        return f"{kind.lower()}/{rest.partition('/')[2]}"

    def show_data(self, data: ViewData, new_snapshot: bool) -> None:
        rows = _rows(data)
        if rows is None:
            return
        self._row = next((r for r in rows if r.key == self.workload_key), None)
        summary = self.query_one("#workload-summary", Static)
        if self._row is None:
            summary.update(Text(f"{self.title_scope()} is gone (no pods in the last refresh)", style="bold"))
        else:
            summary.update(workload_summary(self._row))
        super().show_data(data, new_snapshot)

    def pods_of(self, data: ViewData) -> Sequence[PodView]:
        return self._row.pods if self._row is not None else ()

    def empty_message(self) -> str:
        if self._row is None or self.state.filter.active or self.state.hide_terminated:
            return super().empty_message()
        return "no pods"
