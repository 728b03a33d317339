"""Workloads and namespaces: `workloads`, `workloads --by namespace`, the `:workloads` screen.

A sum that leaves out pods without usage (no metrics) is a lower bound and is drawn with a leading
`≥`; a recommendation or saving that rests on nothing is `-`.
"""

from __future__ import annotations

from dataclasses import replace

from kubectl_mem.model.workloads import NamespaceRow, WorkloadRow
from kubectl_mem.report.columns.nodes import NODE_COLUMNS
from kubectl_mem.report.columns.pods import POD_COLUMNS
from kubectl_mem.report.columns.spec import BYTES, COUNT, LIMIT, PERCENT, TEXT, Column, sorts
from kubectl_mem.report.fmt import size


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


_POD = {c.key: c for c in POD_COLUMNS}
_NODE = {c.key: c for c in NODE_COLUMNS}
_PODS_TEXT = replace(COUNT, width=5)


def _spread_max(r: WorkloadRow) -> int | None:
    return r.spread.max if r.spread else None


def _per_node(r: WorkloadRow) -> int | None:
    return r.daemonset.request_per_pod if r.daemonset else None


def _share_max(r: WorkloadRow) -> float | None:
    return r.daemonset.share_max if r.daemonset else None


# The same facts as `top` and `nodes` keep their keys, titles and formats (report/columns/).
WORKLOAD_COLUMNS: list[Column[WorkloadRow]] = [
    Column(
        "kind",
        "KIND",
        lambda r: r.kind,
        TEXT,
        "the workload's kind: its pods' owner, a ReplicaSet's Deployment, a Job's CronJob; Pod: no owner",
        json="kind",
        sort=("kind",),
    ),
    replace(
        _POD["namespace"],
        value=lambda r: r.namespace,
        help="the workload's namespace (shown when several are listed)",
    ),
    replace(
        _POD["name"],
        value=lambda r: r.name,
        help="the workload's name (*: its owner inferred, not read from the API)",
        flex=(14, 28, 63),
        cell=lambda r: r.name + ("*" if r.inferred else ""),
    ),
    Column(
        "workload_pods",
        "PODS",
        lambda r: r.active,
        _PODS_TEXT,
        "pods on a node and not finished / the desired count where the owner says one",
        json="pods.active",
        sort=("pods",),
        descending=True,
        cell=lambda r: pods_text(r.active, r.desired),
    ),
    # the sums of the facts `top` and `nodes` show: their names (REQUESTS as on a node)
    replace(
        _NODE["requests"],
        value=lambda r: r.requested,
        help="sum of the pods' memory requests as the kubelet computes a pod's request",
        json="requestedBytes",
        sort=("requests", "requested"),
    ),
    replace(
        _POD["memory"],
        value=lambda r: r.used,
        help="sum of the pods' working sets (≥: some pods have no usage yet)",
        json="usedBytes",
        sort=("memory", "working-set", "used"),
        descending=True,
        needs_metrics=True,
        cell=lambda r: lower_bound(r.used, r.unmeasured),
    ),
    Column(
        "idle",
        "IDLE",
        lambda r: r.idle,
        BYTES,
        "requested but not in the working set: per container max(0, request - working set), summed "
        "(≥: some pods or containers have no usage yet)",
        json="idleBytes",
        sort=("idle",),
        descending=True,
        needs_metrics=True,
        cell=lambda r: lower_bound(r.idle, r.unmeasured + r.idle_unmeasured),
    ),
    Column(
        "idle_pct",
        "IDLE%",
        lambda r: r.idle_pct,
        PERCENT,
        "IDLE as a share of the REQUESTS of the pods that have a working set",
        json="idlePercent",
        sort=("idle-pct",),
        descending=True,
        needs_metrics=True,
    ),
    replace(
        _NODE["limits"],
        value=lambda r: r.limits,
        format=replace(LIMIT, width=13),
        help="sum of the pods' memory limits; unbounded (N): N containers without a limit",
        sort=("limit", "limits"),
        cell=lambda r: limits_text(r.limits, r.containers_without_limit),
    ),
    Column(
        "besteffort",
        "BESTEFFORT",
        lambda r: r.best_effort,
        COUNT,
        "pods of QoS class BestEffort (evicted and OOM-killed first)",
        json="bestEffortPods",
    ),
    replace(
        _POD["oom"],
        value=lambda r: r.oom_kills,
        help="containers of its pods (finished ones too) whose last termination was an OOM kill",
    ),
    Column(
        "evictions",
        "EVICTED",
        lambda r: r.evictions,
        COUNT,
        "its pods the kubelet evicted, as long as the API keeps them",
        json="evictions",
        sort=("evictions",),
        descending=True,
    ),
    Column(
        "spread",
        "WORKING SET MIN/MEDIAN/MAX",
        _spread_max,
        replace(BYTES, width=20),
        "working set per replica: replicas far apart grow with something other than their load",
        json="workingSetPerReplica.maxBytes",
        wide=True,
        needs_metrics=True,
        cell=_spread,
    ),
    Column(
        "ds_per_node",
        "PER NODE",
        _per_node,
        BYTES,
        "DaemonSets: what each node it runs on pays for it, its pod's memory request (x PODS nodes)",
        json="daemonSet.requestPerPodBytes",
        wide=True,
        sort=("per-node",),
        descending=True,
    ),
    Column(
        "ds_share",
        "%NODE ALLOC",
        _share_max,
        replace(PERCENT, width=11),
        "DaemonSets: their pod's request as a share of each node's allocatable memory",
        json="daemonSet.allocatableShareMaxPercent",
        wide=True,
        cell=_ds_share,
    ),
    Column(
        "rec_request",
        "REC REQUEST",
        lambda r: _per_container(r, "request"),
        TEXT,
        "the recommended request of each container (name=value when several)",
        flex=(6, 12, 40),
    ),
    Column(
        "rec_limit",
        "REC LIMIT",
        lambda r: _per_container(r, "limit"),
        TEXT,
        "the recommended limit of each container",
        flex=(6, 12, 40),
    ),
    Column(
        "saving",
        "SAVING",
        saving,
        BYTES,
        "request freed across the replicas by the recommendation (negative: it asks for more)",
        json="recommendation.savingBytes",
        sort=("saving",),
        descending=True,
        needs_metrics=True,
    ),
]

_WL = {c.key: c for c in WORKLOAD_COLUMNS}

NAMESPACE_COLUMNS: list[Column[NamespaceRow]] = [
    replace(
        _POD["namespace"],
        value=lambda r: r.namespace,
        help="the namespace",
        namespaced=False,
        sort=("namespace", "name"),
    ),
    Column(
        "workloads",
        "WORKLOADS",
        lambda r: r.workloads,
        COUNT,
        "workloads in the namespace",
        json="workloads",
        sort=("workloads",),
        descending=True,
    ),
    Column(
        "ns_pods",
        "PODS",
        lambda r: r.active,
        _PODS_TEXT,
        "pods on a node and not finished",
        json="activePods",
        sort=("pods",),
        descending=True,
    ),
    *(
        replace(_WL[k], value=get, cell=cell)
        for k, get, cell in (
            ("requests", lambda r: r.requested, None),
            ("memory", lambda r: r.used, lambda r: lower_bound(r.used, r.unmeasured)),
            ("idle", lambda r: r.idle, lambda r: lower_bound(r.idle, r.unmeasured + r.idle_unmeasured)),
            ("idle_pct", lambda r: r.idle_pct, None),
            ("limits", lambda r: r.limits, lambda r: limits_text(r.limits, r.containers_without_limit)),
            ("besteffort", lambda r: r.best_effort, None),
            ("oom", lambda r: r.oom_kills, None),
            ("evictions", lambda r: r.evictions, None),
        )
    ),
    Column(
        "ns_saving",
        "SAVING",
        lambda r: r.saving,
        BYTES,
        "request its workloads' recommendations free (negative: they ask for more)",
        json="savingBytes",
        sort=("saving",),
        descending=True,
        needs_metrics=True,
    ),
]

WORKLOAD_SORTS: dict[str, tuple[str, bool]] = sorts(WORKLOAD_COLUMNS)
NAMESPACE_SORTS: dict[str, tuple[str, bool]] = sorts(NAMESPACE_COLUMNS)
