"""The kernel's figures of a cgroup (`--cgroups`, key c, `kubectl mem cgroups`, explain's KERNEL).

`FIGURE_COLUMNS` are declared once over a cgroup's `Figures`; `Column.on` binds them to pods,
containers, nodes or `cgroups` rows. A figure not collected, or that its source does not give
(the Summary API has no breakdown), shows as -.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kubectl_mem.model.views import NodeView, PodView
from kubectl_mem.report.columns.pods import CONTAINER_COLUMNS, POD_COLUMNS, ContainerRow
from kubectl_mem.report.columns.spec import BYTES, COUNT, LIMIT, PSI, TEXT, Column, R

if TYPE_CHECKING:
    from kubectl_mem.model.cgroup import CgroupOverlay, Figures

_POD = {c.key: c for c in POD_COLUMNS}
_CONTAINER = {c.key: c for c in CONTAINER_COLUMNS}


def no_cgroup(name: str, state: str) -> str:
    """A container the API lists that had no cgroup when its node was read (in back-off between two
    restarts, waiting, terminated): `cgroups`, `top --containers --cgroups`, explain's KERNEL and
    the interactive view name it alike."""
    return f"{name} (no cgroup: {state})"


def _figure(field: str) -> Callable[[Figures | None], Any]:
    def read(f: Figures | None) -> Any:
        return getattr(f, field) if f is not None else None

    return read


# One cgroup's figures (model/cgroup/view.py: Figures); bound to pods, containers or `cgroups` rows
# with `Column.on`. None (not collected, or a source that does not say) shows as -.
FIGURE_COLUMNS: list[Column[Figures | None]] = [
    Column(
        "cg_working_set",
        "WORKING SET",
        _figure("working_set"),
        BYTES,
        "the cgroup's working set (usage - inactive_file), as the kubelet computes it",
        json="workingSet",
        needs_cgroups=True,
    ),
    Column("cg_usage", "USAGE", _figure("usage"), BYTES, "memory.current", json="usage", needs_cgroups=True),
    Column(
        "cg_anon",
        "ANON",
        _figure("anon"),
        BYTES,
        "anonymous memory (heaps, stacks): only swap can take it back",
        json="anon",
        needs_cgroups=True,
    ),
    Column(
        "cg_file",
        "FILE",
        _figure("file"),
        BYTES,
        "page cache (shmem included)",
        json="file",
        needs_cgroups=True,
    ),
    Column(
        "cg_active_file",
        "ACTIVE FILE",
        _figure("active_file"),
        BYTES,
        "page cache used recently: counted in the working set, yet the kernel can drop it",
        json="activeFile",
        needs_cgroups=True,
    ),
    Column(
        "cg_inactive_file",
        "INACTIVE FILE",
        _figure("inactive_file"),
        BYTES,
        "page cache not used recently: the first the kernel reclaims",
        json="inactiveFile",
        needs_cgroups=True,
    ),
    Column(
        "cg_shmem",
        "SHMEM",
        _figure("shmem"),
        BYTES,
        "shared memory and tmpfs: page cache that cannot be dropped",
        json="shmem",
        wide=True,
        needs_cgroups=True,
    ),
    Column(
        "cg_kernel",
        "KERNEL",
        _figure("kernel"),
        BYTES,
        "kernel memory charged to the cgroup (slab, stacks, page tables)",
        json="kernel",
        needs_cgroups=True,
    ),
    Column(
        "cg_sock",
        "SOCK",
        _figure("sock"),
        BYTES,
        "network buffers",
        json="sock",
        needs_cgroups=True,
    ),
    Column(
        "cg_reclaimable",
        "RECLAIMABLE",
        _figure("reclaimable"),
        BYTES,
        "what the kernel could reclaim under pressure: page cache and reclaimable slab",
        json="reclaimable",
        needs_cgroups=True,
    ),
    Column(
        "cg_unreclaimable",
        "UNRECLAIMABLE",
        _figure("unreclaimable"),
        BYTES,
        "the rest: what decides an OOM kill at the limit",
        json="unreclaimable",
        needs_cgroups=True,
    ),
    Column(
        "cg_peak",
        "PEAK",
        _figure("peak"),
        BYTES,
        "memory.peak: the most the cgroup used since it was made",
        json="peak",
        wide=True,
        needs_cgroups=True,
    ),
    Column(
        "cg_limit",
        "LIMIT",
        _figure("limit"),
        LIMIT,
        "memory.max: the cgroup's limit (unbounded: max)",
        json="limit",
        needs_cgroups=True,
    ),
    Column(
        "cg_oom_kills",
        "OOM-KILLS",
        _figure("oom_kills"),
        COUNT,
        "oom_kill: OOM kills the kernel counted (a container's cgroup: since it last started; a "
        "pod's: since the pod started on cgroup v2, where memory.events is hierarchical; - on "
        "cgroup v1, where memory.oom_control counts a kill only in the container's own cgroup)",
        json="oomKills",
        descending=True,
        needs_cgroups=True,
    ),
    Column(
        "cg_psi",
        "PSI10",
        _figure("psi_some_avg10"),
        PSI,
        "memory pressure stall: % of the last 10 s some task waited for memory",
        json="psi.some.avg10",
        needs_cgroups=True,
    ),
]

_FIG = {c.key: c for c in FIGURE_COLUMNS}
# what `top --cgroups` and key c add after %LIMIT
VIEW_FIGURES = ("cg_anon", "cg_file", "cg_kernel", "cg_reclaimable", "cg_shmem", "cg_peak", "cg_oom_kills")


def pod_cgroup_columns(cg: CgroupOverlay) -> list[Column[PodView]]:
    """The pod cgroup's anon, page cache, kernel memory, what the kernel could reclaim, and the
    OOM kills the kernel counted in the pod since it started (v2 memory.events oom_kill, which is
    hierarchical; unknown on cgroup v1, model/cgroup/semantics.py)."""

    def get(p: PodView) -> Figures | None:
        pc = cg.pod(p.pod.uid)
        return pc.figures if pc is not None else None

    return [_cg_json(_FIG[k].on(get), "cgroup.") for k in VIEW_FIGURES]


def container_cgroup_columns(cg: CgroupOverlay) -> list[Column[ContainerRow]]:
    """The same per container cgroup (its counters restart with each container instance)."""

    def get(r: ContainerRow) -> Figures | None:
        return cg.container(r[0].pod.uid, r[1].name)

    return [_cg_json(_FIG[k].on(get), "cgroup.") for k in VIEW_FIGURES]


def container_name_column(cg: CgroupOverlay) -> Column[ContainerRow]:
    """CONTAINER once the kernel's figures are in: a container whose pod was read but which had no
    cgroup says so, with the API's reason, instead of a row of - that reads as not collected."""
    base = _CONTAINER["container"]

    def cell(r: ContainerRow) -> str:
        text = base.text(r)
        missing = cg.not_running(r[0].pod.uid, r[1].name)
        return text if missing is None else no_cgroup(text, missing.state)

    return replace(base, cell=cell)


def _cg_json(c: Column[R], prefix: str) -> Column[R]:
    return replace(c, json=None if c.json is None else prefix + c.json)


def node_cgroup_columns(cg: CgroupOverlay) -> list[Column[NodeView]]:
    """What the root cgroup could give back (page cache, reclaimable slab), and where AVAILABLE
    and HEADROOM come from: `cgroup` (the node's own memory.available, MemTotal - root working set,
    as the kubelet computes it), `summary` (the kubelet's Summary API) or `metrics`."""
    from kubectl_mem.model.cgroup import available_from

    def root(n: NodeView) -> Figures | None:
        own = cg.node(n.node.name)
        return own.root if own is not None else None

    return [
        _cg_json(_FIG["cg_reclaimable"].on(root), "cgroup.root."),
        Column(
            "available_from",
            "AVAILABLE FROM",
            lambda n: available_from(cg, n.node.name) if n.available is not None else None,
            replace(TEXT, width=7),
            "where AVAILABLE and HEADROOM come from: cgroup (the node's own memory.available, as "
            "the kubelet computes it), summary (the kubelet's Summary API) or metrics "
            "(metrics.k8s.io)",
            json="availableFrom",
            needs_cgroups=True,
        ),
    ]


# `kubectl mem cgroups`: one row per cgroup (report/cgroups.py's Row: node, pod, container, qos, cg)
CGROUP_ROW_FIGURES = (
    "cg_working_set",
    "cg_anon",
    "cg_file",
    "cg_active_file",
    "cg_inactive_file",
    "cg_shmem",
    "cg_kernel",
    "cg_sock",
    "cg_reclaimable",
    "cg_unreclaimable",
    "cg_peak",
    "cg_limit",
    "cg_oom_kills",
    "cg_psi",
)


_QOS_TIERS = {"guaranteed": "Guaranteed", "burstable": "Burstable", "besteffort": "BestEffort"}


def _container_cell(r: Any) -> str:
    if not r.container:
        return "(pod)"
    return r.container if r.state is None else no_cgroup(r.container, r.state)


def _row_figure(c: Column[Figures | None]) -> Column[Any]:
    """A figure over `cgroups` rows: - for a container without a cgroup (its limit is not known
    either, which LIMIT would write as unbounded)."""
    on = replace(c.on(lambda r: r.cg), wide=False)
    text = on.text
    return replace(on, cell=lambda r: "-" if r.state is not None else text(r))


def cgroup_row_columns() -> list[Column[Any]]:
    """The columns of `kubectl mem cgroups` over report/cgroups.py's rows, all of them shown."""
    return [
        Column("node", "NODE", lambda r: r.node, TEXT, _POD["node"].help, flex=(8, 16, 32)),
        Column("pod", "POD", lambda r: r.pod, TEXT, "namespace/name of the pod (its UID when not listed)"),
        Column(
            "container",
            "CONTAINER",
            lambda r: r.container,
            TEXT,
            "the container; (pod): the pod's own cgroup, all its containers together; "
            "(no cgroup: REASON): a container of the pod that has none now, e.g. in back-off",
            cell=_container_cell,
        ),
        replace(_POD["qos"], value=lambda r: _QOS_TIERS.get(r.qos, r.qos or None)),
        *(_row_figure(_FIG[k]) for k in CGROUP_ROW_FIGURES),
    ]
