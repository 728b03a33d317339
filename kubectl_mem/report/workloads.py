"""`kubectl mem workloads` as tables: the columns of a workload row and of a namespace row (the
report/columns.py spec, shared with the interactive view's :workloads), and the totals line printed
before the table.

A sum that leaves out pods without usage (no metrics) is a lower bound and is drawn with a
leading `≥`; a recommendation or saving that rests on nothing is `-`.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubectl_mem.model.workloads import NamespaceRow, Totals, WorkloadRow, Workloads
from kubectl_mem.report.columns import Column
from kubectl_mem.report.fmt import pct, size

# kubectl's short names, as --kind takes them
KIND_ALIASES: dict[str, str] = {
    "deploy": "Deployment", "deployment": "Deployment", "deployments": "Deployment",
    "sts": "StatefulSet", "statefulset": "StatefulSet", "statefulsets": "StatefulSet",
    "ds": "DaemonSet", "daemonset": "DaemonSet", "daemonsets": "DaemonSet",
    "rs": "ReplicaSet", "replicaset": "ReplicaSet", "replicasets": "ReplicaSet",
    "job": "Job", "jobs": "Job",
    "cj": "CronJob", "cronjob": "CronJob", "cronjobs": "CronJob",
    "po": "Pod", "pod": "Pod", "pods": "Pod",
    "no": "Node", "node": "Node", "nodes": "Node",
}  # fmt: skip


def lower_bound(value: int | None, unmeasured: int) -> str:
    """A sum over the measured pods: `≥` when some pods were left out."""
    text = size(value)
    return f"≥{text}" if unmeasured and value is not None else text


def pods_text(active: int, desired: int | None) -> str:
    return f"{active}/{desired}" if desired is not None else str(active)


def limits_text(limits: int | None, without: int) -> str:
    if limits is not None:
        return size(limits)
    return f"unbounded ({without})" if without else "unbounded"


def _per_container(r: WorkloadRow, field: str) -> str:
    if r.recommendation is None:
        return "-"
    recs = [c for c in r.recommendation.recommendation.containers if c.basis != "none" or c.oom_bump]
    if not recs:
        return "-"

    def one(c) -> str:
        v = getattr(c, field)
        return size(v) if v is not None else "none"

    if len(r.recommendation.recommendation.containers) == 1:
        return one(recs[0])
    return ",".join(f"{c.container}={one(c)}" for c in recs)


def saving(r: WorkloadRow) -> int | None:
    return r.recommendation.saving if r.recommendation is not None else None


def _spread(r: WorkloadRow) -> str:
    s = r.spread
    return "-" if s is None else f"{size(s.min)}/{size(s.median)}/{size(s.max)}"


def _ds_share(r: WorkloadRow) -> str:
    d = r.daemonset
    if d is None or d.share_min is None or d.share_max is None:
        return "-"
    # a DaemonSet's share is often below 1%: one decimal, so it does not read as nothing
    lo, hi = f"{d.share_min:.1f}%", f"{d.share_max:.1f}%"
    return lo if lo == hi else f"{lo}-{hi}"


WORKLOAD_COLUMNS: list[Column[WorkloadRow]] = [
    Column("kind", "KIND", lambda r: r.kind, lambda r: r.kind),
    Column("namespace", "NAMESPACE", lambda r: r.namespace, lambda r: r.namespace, namespaced=True),
    Column("name", "NAME", lambda r: r.name, lambda r: r.name + ("*" if r.inferred else "")),
    Column("pods", "PODS", lambda r: r.active, lambda r: pods_text(r.active, r.desired), "right"),
    Column("requested", "REQUESTED", lambda r: r.requested, lambda r: size(r.requested), "right"),
    Column(
        "used",
        "USED",
        lambda r: r.used,
        lambda r: lower_bound(r.used, r.unmeasured),
        "right",
        needs_metrics=True,
    ),
    Column(
        "idle",
        "IDLE",
        lambda r: r.idle,
        lambda r: lower_bound(r.idle, r.unmeasured),
        "right",
        needs_metrics=True,
    ),
    Column("idle_pct", "IDLE%", lambda r: r.idle_pct, lambda r: pct(r.idle_pct), "right", needs_metrics=True),
    Column(
        "limit",
        "LIMITS",
        lambda r: r.limits,
        lambda r: limits_text(r.limits, r.containers_without_limit),
        "right",
    ),
    Column("besteffort", "BESTEFFORT", lambda r: r.best_effort, lambda r: str(r.best_effort), "right"),
    Column("oom", "OOM", lambda r: r.oom_kills, lambda r: str(r.oom_kills), "right"),
    Column("evictions", "EVICTED", lambda r: r.evictions, lambda r: str(r.evictions), "right"),
    Column(
        "spread",
        "WS MIN/MEDIAN/MAX",
        lambda r: r.spread.max if r.spread else None,
        _spread,
        "right",
        wide=True,
        needs_metrics=True,
    ),
    Column(
        "ds_share",
        "%NODE ALLOC",
        lambda r: r.daemonset.share_max if r.daemonset else None,
        _ds_share,
        "right",
        wide=True,
    ),
    Column(
        "rec_request",
        "REC REQUEST",
        lambda r: _per_container(r, "request"),
        lambda r: _per_container(r, "request"),
    ),
    Column(
        "rec_limit", "REC LIMIT", lambda r: _per_container(r, "limit"), lambda r: _per_container(r, "limit")
    ),
    Column("saving", "SAVING", saving, lambda r: size(saving(r)), "right", needs_metrics=True),
]

NAMESPACE_COLUMNS: list[Column[NamespaceRow]] = [
    Column("namespace", "NAMESPACE", lambda r: r.namespace, lambda r: r.namespace),
    Column("workloads", "WORKLOADS", lambda r: r.workloads, lambda r: str(r.workloads), "right"),
    Column("pods", "PODS", lambda r: r.active, lambda r: str(r.active), "right"),
    Column("requested", "REQUESTED", lambda r: r.requested, lambda r: size(r.requested), "right"),
    Column(
        "used",
        "USED",
        lambda r: r.used,
        lambda r: lower_bound(r.used, r.unmeasured),
        "right",
        needs_metrics=True,
    ),
    Column(
        "idle",
        "IDLE",
        lambda r: r.idle,
        lambda r: lower_bound(r.idle, r.unmeasured),
        "right",
        needs_metrics=True,
    ),
    Column("idle_pct", "IDLE%", lambda r: r.idle_pct, lambda r: pct(r.idle_pct), "right", needs_metrics=True),
    Column(
        "limit",
        "LIMITS",
        lambda r: r.limits,
        lambda r: limits_text(r.limits, r.containers_without_limit),
        "right",
    ),
    Column("besteffort", "BESTEFFORT", lambda r: r.best_effort, lambda r: str(r.best_effort), "right"),
    Column("oom", "OOM", lambda r: r.oom_kills, lambda r: str(r.oom_kills), "right"),
    Column("evictions", "EVICTED", lambda r: r.evictions, lambda r: str(r.evictions), "right"),
    Column("saving", "SAVING", lambda r: r.saving, lambda r: size(r.saving), "right", needs_metrics=True),
]

# --sort-by keys, with their natural direction (True: largest first)
WORKLOAD_SORTS: dict[str, tuple[str, bool]] = {
    "idle": ("idle", True),
    "idle-pct": ("idle_pct", True),
    "requested": ("requested", True),
    "used": ("used", True),
    "limit": ("limit", True),
    "pods": ("pods", True),
    "oom": ("oom", True),
    "evictions": ("evictions", True),
    "saving": ("saving", True),
    "name": ("name", False),
    "namespace": ("namespace", False),
    "kind": ("kind", False),
}
NAMESPACE_SORTS: dict[str, tuple[str, bool]] = {
    k: v for k, v in WORKLOAD_SORTS.items() if k not in ("name", "kind")
} | {"name": ("namespace", False), "workloads": ("workloads", True)}


def _share(part: int | None, whole: int | None) -> str:
    return f" ({pct(100.0 * part / whole)})" if part is not None and whole else ""


def totals_line(w: Workloads, *, namespace: str | None, metrics: bool = True) -> str:
    """The first line: what the rows add up to, against the cluster's allocatable memory."""
    t: Totals = w.totals
    scope = "cluster" if namespace is None else f"namespace {namespace}"
    head = f"{scope}: {t.active} pods"
    if t.allocatable is not None:
        nodes = f"{t.nodes} node{'s' if t.nodes != 1 else ''}, allocatable {size(t.allocatable)}"
        head += f" on {nodes}" if namespace is None else f" (the cluster: {nodes})"
    parts = [head, f"requested {size(t.requested)}" + _share(t.requested, t.allocatable)]
    if metrics and t.used is not None:
        parts.append(f"used {lower_bound(t.used, t.unmeasured)}")
        idle = f"idle {lower_bound(t.idle, t.unmeasured)}"
        notes = [f"{pct(t.idle_pct)} of requested"] if t.idle_pct is not None else []
        if t.unmeasured:
            notes.append(f"{t.unmeasured} pod{'s' if t.unmeasured != 1 else ''} without usage")
        parts.append(idle + (f" ({'; '.join(notes)})" if notes else ""))
    else:
        parts.append("used unknown (no metrics)")
    if w.daemonset_nodes:
        lo, hi = t.daemonset_per_node_min, t.daemonset_per_node_max
        per_node = size(hi) if lo == hi else f"{size(lo)}-{size(hi)}"
        parts.append(f"DaemonSets {per_node} per node ({size(t.daemonset_requested)} in all)")
    parts.append(
        f"{t.pods_without_limit} pod{'s' if t.pods_without_limit != 1 else ''} without a memory limit"
    )
    return "; ".join(parts) + "\n"


def inferred_note(rows: Sequence[WorkloadRow]) -> str:
    if not any(r.inferred for r in rows):
        return ""
    return "* owner inferred, not read from the API (see the warnings)\n"
