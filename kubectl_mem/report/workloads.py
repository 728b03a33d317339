"""`kubectl mem workloads` in words: the kinds --kind takes, the totals line printed before the
table, the note on inferred owners. The columns are in report/columns/workloads.py."""

from __future__ import annotations

from collections.abc import Sequence

from kubectl_mem.model.workloads import Totals, WorkloadRow, Workloads
from kubectl_mem.report.columns.workloads import (
    lower_bound,
)
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


def usage_known(w: Workloads) -> bool:
    """Some working set is known: from metrics.k8s.io, or from the kubelets' Summary API where
    metrics-server is missing (the figures `top` shows then too). Without any, the usage columns go."""
    return w.totals.used is not None or w.totals.daemonset_used is not None


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
    # named as the columns are (REQUESTS, WORKING SET, IDLE): report/columns/
    parts = [head, f"requests {size(t.requested)}" + _share(t.requested, t.allocatable)]
    if t.used is not None:  # metrics.k8s.io's figures, or the kubelets' Summary API's without them
        parts.append(f"working set {lower_bound(t.used, t.unmeasured)}")
        idle = f"idle {lower_bound(t.idle, t.unmeasured + t.idle_unmeasured)}"
        notes = [f"{pct(t.idle_pct)} of requests"] if t.idle_pct is not None else []
        if t.unmeasured:
            notes.append(f"{t.unmeasured} pod{'s' if t.unmeasured != 1 else ''} without usage")
        if t.idle_unmeasured:
            n = t.idle_unmeasured
            notes.append(f"{n} pod{'s' if n != 1 else ''} without a container's usage")
        parts.append(idle + (f" ({'; '.join(notes)})" if notes else ""))
    else:
        parts.append("working set unknown" + ("" if metrics else " (no metrics)"))
    if w.daemonset_nodes:
        lo, hi = t.daemonset_per_node_min, t.daemonset_per_node_max
        per_node = size(hi) if lo == hi else f"{size(lo)}-{size(hi)}"
        parts.append(f"DaemonSets {per_node} per node ({size(t.daemonset_requested)} in all)")
    parts.append(
        f"{t.pods_without_limit} pod{'s' if t.pods_without_limit != 1 else ''} without a memory limit"
    )
    return "; ".join(parts) + "\n"


def recommendation_note(rows: Sequence[WorkloadRow], *, interactive: bool = False) -> str:
    """Under the table: what REC REQUEST and REC LIMIT rest on, and where the commands are."""
    samples = max((r.recommendation.samples for r in rows if r.recommendation is not None), default=0)
    if not samples:
        return ""
    where = (
        "enter shows the command"
        if interactive
        else "the commands: -o json, or kubectl mem explain deploy/NAME (sts/, ds/)"
    )
    if samples <= 1:
        return (
            "REC REQUEST, REC LIMIT rest on one working-set sample of each replica (now), not on busy "
            f"hours: watch them in kubectl mem top's :workloads first; {where}\n"
        )
    return (
        f"REC REQUEST, REC LIMIT rest on the highest working set of each replica in up to {samples} "
        f"samples taken while the view was open; {where}\n"
    )


def inferred_note(rows: Sequence[WorkloadRow]) -> str:
    if not any(r.inferred for r in rows):
        return ""
    return "* owner inferred, not read from the API (see the warnings)\n"
