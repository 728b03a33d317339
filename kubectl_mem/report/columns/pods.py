"""Pods and containers: `top`, `top --containers`, `nodes NODE`'s eviction order, the pods screens."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from kubectl_mem.model.views import ContainerView, PodView
from kubectl_mem.report.columns.spec import BYTES, COUNT, LIMIT, PERCENT, REQUEST, TEXT, Column, sorts
from kubectl_mem.report.fmt import age


def _place(p: PodView) -> tuple[int, int] | None:
    """Sort value of EVICT#: (earliest, latest) place; None (last) when not ranked or critical."""
    e = p.eviction
    return None if e.first is None or e.last is None else (e.first, e.last)


def _pod_pct_request(p: PodView) -> float | None:
    if p.working_set is None or not p.request:
        return None
    return 100.0 * p.working_set / p.request


def _excess(p: PodView) -> int | None:
    return None if p.working_set is None else p.working_set - p.request


# Help texts say what the figure is and where it comes from; the legend prints them as they are.
POD_COLUMNS: list[Column[PodView]] = [
    Column(
        "namespace",
        "NAMESPACE",
        lambda p: p.pod.namespace,
        TEXT,
        "the pod's namespace (shown when several are listed)",
        json="namespace",
        sort=("namespace",),
        namespaced=True,
        flex=(6, 16, 32),
    ),
    Column(
        "name",
        "NAME",
        lambda p: p.pod.name,
        TEXT,
        "the pod's name",
        json="name",
        sort=("name",),
        flex=(16, 32, 63),
    ),
    Column(
        "status",
        "STATUS",
        lambda p: p.status,
        TEXT,
        "STATUS as kubectl get pods says it (Running, CrashLoopBackOff, OOMKilled, Evicted ...); ended "
        "pods are history (--hide-terminated, key t)",
        json="status",
        sort=("status",),
        flex=(7, 10, 24),
    ),
    Column(
        "node",
        "NODE",
        lambda p: p.pod.node,
        TEXT,
        "the node it runs on (<none>: not scheduled)",
        json="node",
        sort=("node",),
        flex=(8, 16, 32),
        cell=lambda p: p.pod.node or "<none>",
    ),
    Column(
        "qos",
        "QOS",
        lambda p: p.qos_class,
        replace(TEXT, width=10),
        "QoS class: Guaranteed, Burstable or BestEffort (first evicted, first OOM-killed)",
        json="qosClass",
        sort=("qos",),
    ),
    Column(
        "priority",
        "PRIORITY",
        lambda p: p.priority,
        replace(COUNT, width=10),
        "pod priority: lower is evicted first among pods over their request",
        json="priority",
        sort=("priority",),
        wide=True,
    ),
    Column(
        "memory",
        "WORKING SET",
        lambda p: p.working_set,
        BYTES,
        "memory in use that the kernel cannot simply drop (usage - inactive page cache), as kubectl "
        "top shows it; - when metrics.k8s.io has no figure",
        json="workingSetBytes",
        sort=("memory", "working-set"),
        descending=True,
    ),
    Column(
        "usage_from",
        "USAGE FROM",
        lambda p: p.usage_source,
        TEXT,
        "where the working set was read: metrics (metrics.k8s.io) or summary (the kubelet's Summary API, "
        "for pods metrics-server has no figure for); - unknown",
        json="workingSetSource",
        wide=True,
    ),
    Column(
        "request",
        "REQUEST",
        lambda p: p.request,
        REQUEST,
        "memory request (none: not set, the kubelet counts 0); usage above it puts the pod early in the "
        "eviction order",
        json="requestBytes",
        sort=("request",),
        descending=True,
    ),
    Column(
        "limit",
        "LIMIT",
        lambda p: p.limit,
        LIMIT,
        "memory limit: the cgroup OOM-kills the container that goes above it (unbounded: no limit)",
        json="limitBytes",
        sort=("limit",),
        descending=True,
    ),
    Column(
        "pct_request",
        "%REQ",
        _pod_pct_request,
        PERCENT,
        "working set as a percentage of the request",
        sort=("pct-request",),
        descending=True,
        wide=True,
        needs_metrics=True,
    ),
    Column(
        "pct_limit",
        "%LIMIT",
        lambda p: p.worst_pct_of_limit,
        PERCENT,
        "working set as a percentage of the limit (the container closest to its limit)",
        json="worstPercentOfLimit",
        sort=("pct-limit",),
        descending=True,
    ),
    Column(
        "headroom",
        "HEADROOM",
        lambda p: p.headroom,
        BYTES,
        "memory left before the limit of the container closest to it",
        json="headroomBytes",
        sort=("headroom",),
        wide=True,
    ),
    Column(
        "worst",
        "WORST",
        lambda p: p.worst_container,
        replace(TEXT, width=12),
        "the container closest to its limit",
        json="worstContainer",
        wide=True,
        flex=(6, 12, 24),
    ),
    Column(
        "restarts",
        "RESTARTS",
        lambda p: p.restarts,
        COUNT,
        "container restarts, as kubectl get pods counts them",
        json="restarts",
        sort=("restarts",),
        descending=True,
    ),
    Column(
        "oom",
        "OOM",
        lambda p: p.oom_kills,
        COUNT,
        "containers whose last termination was an OOM kill (the API keeps only the last one)",
        json="oomKills",
        sort=("oom",),
        descending=True,
    ),
    Column(
        "rank",
        "EVICT#",
        _place,
        replace(COUNT, width=6),
        "place in the kubelet's eviction order on its node, among the pods it may evict (1: evicted "
        "first; 3..9: somewhere between, usage unknown; never: critical pod; -: not ranked)",
        json="eviction.text",
        sort=("rank",),
        cell=lambda p: p.eviction.text,
    ),
    Column(
        "risk",
        "RISK",
        lambda p: p.risk_score,
        replace(TEXT, width=8),
        "the higher of OOM-kill risk and eviction risk: critical, high, medium, low, unknown; medium+: "
        "could be higher, usage unknown; none: the pod ended (history)",
        json="risk.score",
        sort=("risk",),
        descending=True,
        cell=lambda p: p.risk.text,
    ),
    Column(
        "reasons",
        "REASONS",
        lambda p: "; ".join(p.risk.reasons),
        TEXT,
        "why the risk is what it is",
        wide=True,
        flex=(12, 40, 200),
    ),
]

# `nodes NODE`'s eviction order: pods of one node, first evicted first


def eviction_order_columns(now: dt.datetime) -> list[Column[PodView]]:
    by_key = {c.key: c for c in POD_COLUMNS}
    return [
        by_key["rank"],
        *(by_key[k] for k in ("namespace", "name", "status", "qos", "priority", "memory", "request")),
        Column(
            "over_request",
            "OVER REQUEST",
            _excess,
            BYTES,
            "working set - request: the kubelet evicts pods over their request first, most over first",
        ),
        Column(
            "age",
            "AGE",
            lambda p: p.pod.created or "",
            replace(TEXT, align="right", width=4),
            "time since the pod was created",
            cell=lambda p: age(p.pod.created, now),
        ),
    ]


# container rows carry their pod: (pod, container)
ContainerRow = tuple[PodView, ContainerView]


def _last(c: ContainerView) -> str:
    t = c.last_termination
    if t is None:
        return "-"
    return f"{t.reason or 'Terminated'}({t.exit_code})"


_POD = {c.key: c for c in POD_COLUMNS}

CONTAINER_COLUMNS: list[Column[ContainerRow]] = [
    _POD["namespace"].on(lambda r: r[0]),
    Column(
        "pod",
        "POD",
        lambda r: r[0].pod.name,
        TEXT,
        "the container's pod",
        sort=("pod",),
        flex=(16, 32, 63),
    ),
    Column(
        "container",
        "CONTAINER",
        lambda r: r[1].name,
        TEXT,
        "the container (init and sidecar containers say so)",
        json="name",
        cell=lambda r: r[1].name if r[1].kind == "regular" else f"{r[1].name} ({r[1].kind})",
        flex=(8, 16, 63),
    ),
    replace(_POD["memory"], value=lambda r: r[1].working_set),
    replace(_POD["request"], value=lambda r: r[1].request),
    replace(_POD["limit"], value=lambda r: r[1].limit),
    replace(_POD["pct_request"], value=lambda r: r[1].pct_of_request, json="percentOfRequest", wide=False),
    replace(_POD["pct_limit"], value=lambda r: r[1].pct_of_limit, json="percentOfLimit"),
    replace(_POD["headroom"], value=lambda r: r[1].headroom, wide=True),
    Column(
        "oom_score_adj",
        "OOM_SCORE_ADJ",
        lambda r: r[1].oom_score_adj,
        COUNT,
        "the kernel's oom_score_adj of the container's processes (higher: killed first when the "
        "node runs out)",
        json="oomScoreAdj",
        wide=True,
    ),
    replace(_POD["restarts"], value=lambda r: r[1].restart_count, json="restartCount"),
    replace(
        _POD["oom"],
        value=lambda r: int(r[1].oom_killed),
        help="1 when the container's last termination was an OOM kill",
        json="oomKilled",
    ),
    Column(
        "last",
        "LAST TERMINATION",
        lambda r: _last(r[1]),
        TEXT,
        "how the container last ended: reason (exit code)",
        json="lastTermination.reason",
        flex=(12, 20, 40),
    ),
]

POD_SORTS: dict[str, tuple[str, bool]] = sorts(POD_COLUMNS)
