"""The pod table: 20,000 pods at the speed of 20 (Line API, see table.py), expandable to
containers, coloured by % of limit (k9s defaults: warn 70, critical 90), BestEffort and pods
without a limit marked in words as well as colour (NO_COLOR)."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style

from kubectl_mem.model.cgroup import CgroupOverlay
from kubectl_mem.model.views import ContainerView, NodeView, PodView
from kubectl_mem.report import columns as cols
from kubectl_mem.tui.viewstate import NodeState, PodRow, PodState
from kubectl_mem.tui.widgets.table import LineTable

# a container row under its pod shows the container's figures in the pod's columns (same keys)
_CONTAINER_COLUMNS = {c.key: c for c in cols.CONTAINER_COLUMNS if c.key not in ("namespace", "pod")}


class PodTable(LineTable[PodView]):
    DROP_ORDER: ClassVar[tuple[str, ...]] = (
        "reasons",
        "usage_from",
        "worst",
        "cg_shmem",
        "cg_peak",
        "pct_request",
        "priority",
        "headroom",
        "node",
        "restarts",
        "request",
        "qos",
        # with the kernel's columns (key c) a narrow terminal keeps what decides an OOM kill
        "cg_kernel",
        "cg_file",
        "status",
        "rank",
        "oom",
        "limit",
        "namespace",
    )

    def __init__(
        self,
        state: PodState,
        *,
        warn_pct: float = 70.0,
        critical_pct: float = 90.0,
        id: str | None = None,
    ) -> None:
        super().__init__(state, id=id)
        self.warn_pct = warn_pct
        self.critical_pct = critical_pct
        self.container_columns = _CONTAINER_COLUMNS
        self._overlay: CgroupOverlay | None = None

    def set_cgroups(self, overlay: CgroupOverlay | None) -> bool:
        """Key c: the kernel's columns after %LIMIT, as `top --cgroups` prints them (container
        rows get their own cgroup's). True when the columns changed."""
        if overlay is self._overlay:
            return False
        self._overlay = overlay
        if overlay is None:
            self.state.set_columns(cols.POD_COLUMNS)
            self.container_columns = _CONTAINER_COLUMNS
        else:
            self.state.set_columns(
                cols.insert_after(cols.POD_COLUMNS, "pct_limit", cols.pod_cgroup_columns(overlay))
            )
            own = {c.key: c for c in cols.container_cgroup_columns(overlay)}
            self.container_columns = {**_CONTAINER_COLUMNS, **own}
        self._flex_max = self._measure_flex()  # a container's name may now say it has no cgroup
        return True

    @property
    def pod_state(self) -> PodState:
        assert isinstance(self.state, PodState)
        return self.state

    def _measure_flex(self) -> dict[str, int]:
        """NAME also fits the container rows shown (` └ app (no cgroup: CrashLoopBackOff)`)."""
        out = super()._measure_flex()
        name = next((c for c in self.state.columns if c.key == "name"), None)
        if name is None or name.flex is None or not self.pod_state.expanded:
            return out
        longest = max(
            (len(self.cell_text(r, name)) for r in self.state.rows if isinstance(r, tuple)), default=0
        )
        out["name"] = max(out.get("name", 0), min(name.flex[2], longest))
        return out

    def toggle_expanded(self) -> None:
        row = self.cursor_row
        if row is None:
            return
        pod = row[0] if isinstance(row, tuple) else row
        self.pod_state.toggle_expanded(pod.pod.uid)
        self._flex_max = self._measure_flex()
        self.reorder()
        index = self.state.position(pod)
        if index is not None:
            self.move_cursor(index)

    def _level(self, pct: float | None) -> str | None:
        if pct is None:
            return None
        if pct >= self.critical_pct:
            return "critical"
        if pct >= self.warn_pct:
            return "warn"
        return None

    def cell_text(self, row: PodRow, column: cols.Column) -> str:  # type: ignore[override]
        if isinstance(row, tuple):
            c: ContainerView = row[1]
            if column.key == "name":
                kind = "" if c.kind == "regular" else f" ({c.kind})"
                missing = self._overlay.not_running(row[0].pod.uid, c.name) if self._overlay else None
                name = f"{c.name}{kind}"
                return f" └ {name if missing is None else cols.no_cgroup(name, missing.state)}"
            same = self.container_columns.get(column.key)
            return same.text(row) if same is not None else ""
        return column.text(row)

    def cell_style(self, row: PodRow, column: cols.Column) -> Style | None:  # type: ignore[override]
        key = column.key
        if isinstance(row, tuple):
            c = row[1]
            if key in ("memory", "pct_limit"):
                level = self._level(c.pct_of_limit)
                return self.style(level) if level else None
            if key == "limit" and c.limit is None:
                return self.style("marked")
            return None
        if key in ("memory", "pct_limit"):
            level = self._level(row.worst_pct_of_limit)
            return self.style(level) if level else None
        if key == "qos" and row.qos_class == "BestEffort":
            return self.style("marked")
        if key == "limit" and row.limit is None:
            return self.style("marked")
        if key == "risk":
            level = row.risk.level
            if level == "critical":
                return self.style("critical")
            if level == "high":
                return self.style("warn")
            if level in ("low", "unknown", "none"):
                return self.style("dim")
        if key == "status" and row.status not in ("Running", "Completed", "Succeeded"):
            return self.style("warn" if row.live else "dim")
        if key == "oom" and row.oom_kills:
            return self.style("critical")
        return None

    def row_style(self, row: PodRow) -> Style | None:  # type: ignore[override]
        if isinstance(row, tuple) or not row.live:
            return self.style("dim")  # ended pods are history
        return None


class NodeTable(LineTable[NodeView]):
    DROP_ORDER: ClassVar[tuple[str, ...]] = (
        "evictions",
        "oom_killed",
        "overcommit",
        "no_limit",
        "capacity",
        "threshold",
        "limits",
        "cg_reclaimable",
        "requests",
        "pods",
        "pressure",
        "allocatable",
        "available",
    )

    def __init__(self, state: NodeState, *, id: str | None = None) -> None:
        super().__init__(state, id=id)
        self._overlay: CgroupOverlay | None = None

    def set_cgroups(self, overlay: CgroupOverlay | None) -> bool:
        """Key c: RECLAIMABLE and AVAILABLE FROM at the end, as `nodes --cgroups` prints them
        (the rows' AVAILABLE and HEADROOM are the node's own figures: the app's node_views)."""
        if overlay is self._overlay:
            return False
        self._overlay = overlay
        extra = cols.node_cgroup_columns(overlay) if overlay is not None else []
        self.state.set_columns([*cols.NODE_COLUMNS, *extra])
        return True

    def cell_style(self, row: NodeView, column: cols.Column) -> Style | None:
        key = column.key
        if key in ("headroom", "available", "pressure"):
            if row.memory_pressure or (row.headroom is not None and row.headroom <= 0):
                return self.style("critical")
            cap = row.node.capacity_memory
            if row.headroom is not None and cap and row.headroom < 0.1 * cap:
                return self.style("warn")
        if key == "limits" and row.limits is None:
            return self.style("marked")
        return None
