"""One table of columns for pods, containers and nodes, shared by `-o table|wide` and the TUI.

Each column keeps a typed value for sorting and formats only when drawn (k9s sorts by parsing its
formatted strings back; we do not). Flags say when a column is shown: wide-only, needs metrics,
only when all namespaces are listed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from kubectl_mem.model.views import RISK_ORDER, ContainerView, NodeView, PodView
from kubectl_mem.report.fmt import pct, size

if TYPE_CHECKING:
    from kubectl_mem.model.cgroup import CgroupOverlay, Figures

R = TypeVar("R")


@dataclass(frozen=True)
class Column(Generic[R]):
    key: str
    title: str
    value: Callable[[R], Any]  # typed value, used for sorting
    text: Callable[[R], str]
    align: Literal["left", "right"] = "left"
    wide: bool = False  # shown only with -o wide (and in the TUI when there is room)
    needs_metrics: bool = False
    namespaced: bool = False  # the NAMESPACE column: only when several namespaces are listed


def visible(
    columns: Sequence[Column[R]], *, wide: bool, all_namespaces: bool, has_metrics: bool = True
) -> list[Column[R]]:
    return [
        c
        for c in columns
        if (wide or not c.wide)
        and (all_namespaces or not c.namespaced)
        and (has_metrics or not c.needs_metrics)
    ]


def _rank(p: PodView) -> str:
    if p.eviction_rank is None:
        return "-"
    return f"{p.eviction_rank}*" if p.critical else str(p.eviction_rank)


def _risk_text(p: PodView) -> str:
    return p.risk.level


POD_COLUMNS: list[Column[PodView]] = [
    Column("namespace", "NAMESPACE", lambda p: p.pod.namespace, lambda p: p.pod.namespace, namespaced=True),
    Column("name", "NAME", lambda p: p.pod.name, lambda p: p.pod.name),
    Column("node", "NODE", lambda p: p.pod.node, lambda p: p.pod.node or "<none>"),
    Column("qos", "QOS", lambda p: p.qos_class, lambda p: p.qos_class),
    Column("priority", "PRIORITY", lambda p: p.priority, lambda p: str(p.priority), "right", wide=True),
    Column("memory", "WORKING SET", lambda p: p.working_set, lambda p: size(p.working_set), "right"),
    Column("request", "REQUEST", lambda p: p.request, lambda p: size(p.request or None), "right"),
    Column("limit", "LIMIT", lambda p: p.limit, lambda p: size(p.limit), "right"),
    Column(
        "pct_request",
        "%REQ",
        lambda p: _pod_pct_request(p),
        lambda p: pct(_pod_pct_request(p)),
        "right",
        wide=True,
        needs_metrics=True,
    ),
    Column(
        "pct_limit", "%LIMIT", lambda p: p.worst_pct_of_limit, lambda p: pct(p.worst_pct_of_limit), "right"
    ),
    Column("headroom", "HEADROOM", lambda p: p.headroom, lambda p: size(p.headroom), "right", wide=True),
    Column(
        "worst", "WORST", lambda p: p.worst_container or "", lambda p: p.worst_container or "-", wide=True
    ),
    Column("restarts", "RESTARTS", lambda p: p.restarts, lambda p: str(p.restarts), "right"),
    Column("oom", "OOM", lambda p: p.oom_kills, lambda p: str(p.oom_kills), "right"),
    Column("rank", "EVICT#", lambda p: p.eviction_rank, _rank, "right"),
    Column("risk", "RISK", lambda p: p.risk_score, _risk_text),
    Column(
        "reasons",
        "REASONS",
        lambda p: "; ".join(p.risk.reasons),
        lambda p: "; ".join(p.risk.reasons) or "-",
        wide=True,
    ),
]


def _pod_pct_request(p: PodView) -> float | None:
    if p.working_set is None or not p.request:
        return None
    return 100.0 * p.working_set / p.request


def _last(c: ContainerView) -> str:
    t = c.last_termination
    if t is None:
        return "-"
    return f"{t.reason or 'Terminated'}({t.exit_code})"


# container rows carry their pod: (pod, container)
ContainerRow = tuple[PodView, ContainerView]

CONTAINER_COLUMNS: list[Column[ContainerRow]] = [
    Column(
        "namespace", "NAMESPACE", lambda r: r[0].pod.namespace, lambda r: r[0].pod.namespace, namespaced=True
    ),
    Column("pod", "POD", lambda r: r[0].pod.name, lambda r: r[0].pod.name),
    Column(
        "container",
        "CONTAINER",
        lambda r: r[1].name,
        lambda r: r[1].name if r[1].kind == "regular" else f"{r[1].name} ({r[1].kind})",
    ),
    Column("memory", "WORKING SET", lambda r: r[1].working_set, lambda r: size(r[1].working_set), "right"),
    Column("request", "REQUEST", lambda r: r[1].request, lambda r: size(r[1].request), "right"),
    Column("limit", "LIMIT", lambda r: r[1].limit, lambda r: size(r[1].limit), "right"),
    Column(
        "pct_request",
        "%REQ",
        lambda r: r[1].pct_of_request,
        lambda r: pct(r[1].pct_of_request),
        "right",
        needs_metrics=True,
    ),
    Column("pct_limit", "%LIMIT", lambda r: r[1].pct_of_limit, lambda r: pct(r[1].pct_of_limit), "right"),
    Column(
        "oom_score_adj",
        "OOM_SCORE_ADJ",
        lambda r: r[1].oom_score_adj,
        lambda r: str(r[1].oom_score_adj),
        "right",
        wide=True,
    ),
    Column("restarts", "RESTARTS", lambda r: r[1].restart_count, lambda r: str(r[1].restart_count), "right"),
    Column("last", "LAST TERMINATION", lambda r: _last(r[1]), lambda r: _last(r[1])),
]


def _overcommit(n: NodeView) -> float | None:
    if n.limits is None or not n.node.allocatable_memory:
        return None
    return 100.0 * n.limits / n.node.allocatable_memory


NODE_COLUMNS: list[Column[NodeView]] = [
    Column("name", "NAME", lambda n: n.node.name, lambda n: n.node.name),
    Column(
        "capacity",
        "CAPACITY",
        lambda n: n.node.capacity_memory,
        lambda n: size(n.node.capacity_memory),
        "right",
    ),
    Column(
        "allocatable",
        "ALLOCATABLE",
        lambda n: n.node.allocatable_memory,
        lambda n: size(n.node.allocatable_memory),
        "right",
    ),
    Column("memory", "WORKING SET", lambda n: n.working_set, lambda n: size(n.working_set), "right"),
    Column("available", "AVAILABLE", lambda n: n.available, lambda n: size(n.available), "right"),
    Column("threshold", "THRESHOLD", lambda n: n.threshold, lambda n: size(n.threshold), "right"),
    Column("headroom", "HEADROOM", lambda n: n.headroom, lambda n: size(n.headroom), "right"),
    Column(
        "pressure",
        "PRESSURE",
        lambda n: n.memory_pressure,
        lambda n: {True: "True", False: "False"}.get(n.memory_pressure, "Unknown"),
    ),  # type: ignore[arg-type]
    Column("requests", "REQUESTS", lambda n: n.requests, lambda n: size(n.requests), "right"),
    Column("limits", "LIMITS", lambda n: n.limits, lambda n: size(n.limits, missing="unbounded"), "right"),
    Column("overcommit", "%LIMITS/ALLOC", _overcommit, lambda n: pct(_overcommit(n)), "right", wide=True),
    Column(
        "no_limit",
        "NO-LIMIT PODS",
        lambda n: n.pods_without_limit,
        lambda n: str(n.pods_without_limit),
        "right",
        wide=True,
    ),
    Column("pods", "PODS", lambda n: n.pod_count, lambda n: str(n.pod_count), "right"),
]


# -- --cgroups: the kernel's figures next to the API's -----------------------------------------

# (key, title, Figures field, wide): the pod's or container's cgroup (see model/cgroup/view.py)
_CGROUP_FIELDS: tuple[tuple[str, str, str, bool], ...] = (
    ("cg_anon", "ANON", "anon", False),
    ("cg_file", "FILE", "file", False),
    ("cg_kernel", "KERNEL", "kernel", False),
    ("cg_reclaimable", "RECLAIMABLE", "reclaimable", False),
    ("cg_shmem", "SHMEM", "shmem", True),
    ("cg_peak", "PEAK", "peak", True),
)


def _figure_columns(get: Callable[[Any], Figures | None]) -> list[Column[Any]]:
    def value(field: str) -> Callable[[Any], Any]:
        def read(r: Any) -> Any:
            f = get(r)
            return getattr(f, field) if f is not None else None

        return read

    out: list[Column[Any]] = []
    for key, title, field, wide in _CGROUP_FIELDS:
        read = value(field)
        out.append(Column(key, title, read, lambda r, read=read: size(read(r)), "right", wide=wide))
    kills = value("oom_kills")
    out.append(
        Column(
            "cg_oom_kills",
            "OOM-KILLS",
            kills,
            lambda r: "-" if kills(r) is None else str(kills(r)),
            "right",
        )
    )
    return out


def pod_cgroup_columns(cg: CgroupOverlay) -> list[Column[PodView]]:
    """The pod cgroup's anon, page cache, kernel memory, what the kernel could reclaim, and the
    OOM kills the kernel counted in the pod since it started (memory.events oom_kill)."""

    def get(p: PodView) -> Figures | None:
        pc = cg.pod(p.pod.uid)
        return pc.figures if pc is not None else None

    return _figure_columns(get)


def container_cgroup_columns(cg: CgroupOverlay) -> list[Column[ContainerRow]]:
    """The same per container cgroup (its counters restart with each container instance)."""
    return _figure_columns(lambda r: cg.container(r[0].pod.uid, r[1].name))


def node_cgroup_columns(cg: CgroupOverlay) -> list[Column[NodeView]]:
    """What the root cgroup could give back (page cache, reclaimable slab), and where AVAILABLE
    and HEADROOM come from: `cgroup` (the node's own memory.available, MemTotal - root working set,
    as the kubelet computes it), `summary` (the kubelet's Summary API) or `metrics`."""
    from kubectl_mem.model.cgroup import available_from

    def reclaimable(n: NodeView) -> int | None:
        own = cg.node(n.node.name)
        return own.root.reclaimable if own is not None and own.root is not None else None

    return [
        Column("cg_reclaimable", "RECLAIMABLE", reclaimable, lambda n: size(reclaimable(n)), "right"),
        Column(
            "available_from",
            "AVAILABLE FROM",
            lambda n: available_from(cg, n.node.name),
            lambda n: available_from(cg, n.node.name) if n.available is not None else "-",
        ),
    ]


def insert_after(columns: Sequence[Column[R]], key: str, extra: Sequence[Column[R]]) -> list[Column[R]]:
    """`columns` with `extra` after the column `key` (at the end when it is not shown)."""
    out = list(columns)
    at = next((i + 1 for i, c in enumerate(out) if c.key == key), len(out))
    return out[:at] + list(extra) + out[at:]


def _none_last(value: Any, descending: bool) -> tuple:
    # None sorts after every value whichever the direction
    if value is None:
        return (1, 0)
    return (0, value if not descending else _neg(value))


def _neg(value: Any) -> Any:
    if isinstance(value, bool):
        return -int(value)
    if isinstance(value, (int, float)):
        return -value
    return _Reversed(value)


class _Reversed:
    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Reversed) -> bool:
        return other.v < self.v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and other.v == self.v


# sort keys accepted by --sort-by, with their natural direction (True: largest first)
POD_SORTS: dict[str, tuple[str, bool]] = {
    "risk": ("risk", True),
    "memory": ("memory", True),
    "working-set": ("memory", True),
    "request": ("request", True),
    "limit": ("limit", True),
    "pct-limit": ("pct_limit", True),
    "pct-request": ("pct_request", True),
    "headroom": ("headroom", False),
    "restarts": ("restarts", True),
    "oom": ("oom", True),
    "rank": ("rank", False),
    "priority": ("priority", False),
    "name": ("name", False),
    "namespace": ("namespace", False),
    "node": ("node", False),
    "qos": ("qos", False),
}

NODE_SORTS: dict[str, tuple[str, bool]] = {
    "headroom": ("headroom", False),
    "memory": ("memory", True),
    "name": ("name", False),
    "requests": ("requests", True),
    "limits": ("limits", True),
    "pods": ("pods", True),
}


def sort_rows(
    rows: Sequence[R], columns: Sequence[Column[R]], key: str, descending: bool, tie: Callable[[R], Any]
) -> list[R]:
    """Sort by a column's typed value, missing values last, ties broken by `tie` (stable order)."""
    col = next(c for c in columns if c.key == key)
    get = col.value
    return sorted(rows, key=lambda r: (_none_last(get(r), descending), tie(r)))


def risk_level_order(level: str) -> int:
    return RISK_ORDER.get(level, 0)
