"""The workloads table of `:workloads` (the columns of `kubectl mem workloads`, report/workloads.py):
idle memory in the colours of a warning when most of a request sits idle, OOM kills in red, and
workloads without limits marked in words as well as colour."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style

from kubectl_mem.model.workloads import WorkloadRow
from kubectl_mem.report import columns as cols
from kubectl_mem.tui.viewstate import WorkloadState
from kubectl_mem.tui.widgets.table import LineTable

IDLE_WARN_PCT = 50.0  # more than half of what it requests unused


class WorkloadTable(LineTable[WorkloadRow]):
    DROP_ORDER: ClassVar[tuple[str, ...]] = (
        "spread",
        "ds_share",
        "ds_per_node",
        "besteffort",
        "evictions",
        "rec_limit",
        "rec_request",
        "limits",
        "memory",
        "kind",
    )

    def __init__(self, state: WorkloadState, *, id: str | None = None) -> None:
        super().__init__(state, id=id)

    def cell_style(self, row: WorkloadRow, column: cols.Column) -> Style | None:
        key = column.key
        if key in ("idle", "idle_pct") and row.idle_pct is not None and row.idle_pct >= IDLE_WARN_PCT:
            return self.style("warn")
        if key == "oom" and row.oom_kills:
            return self.style("critical")
        if key == "limits" and row.limits is None:
            return self.style("marked")
        if key == "besteffort" and row.best_effort:
            return self.style("marked")
        if key == "saving" and row.recommendation is not None and (row.recommendation.saving or 0) < 0:
            return self.style("dim")
        return None
