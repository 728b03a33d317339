"""Nodes: `nodes`, the `:nodes` screen."""

from __future__ import annotations

from dataclasses import replace

from kubectl_mem.model.views import NodeView
from kubectl_mem.report.columns.pods import POD_COLUMNS
from kubectl_mem.report.columns.spec import BYTES, CONDITION, COUNT, LIMIT, PERCENT, TEXT, Column, sorts

_POD = {c.key: c for c in POD_COLUMNS}


def _overcommit(n: NodeView) -> float | None:
    if n.limits is None or not n.node.allocatable_memory:
        return None
    return 100.0 * n.limits / n.node.allocatable_memory


NODE_COLUMNS: list[Column[NodeView]] = [
    Column(
        "name",
        "NAME",
        lambda n: n.node.name,
        TEXT,
        "the node's name",
        json="name",
        sort=("name",),
        flex=(12, 24, 63),
    ),
    Column(
        "capacity",
        "CAPACITY",
        lambda n: n.node.capacity_memory,
        BYTES,
        "the node's memory (status.capacity)",
        json="capacityBytes",
    ),
    Column(
        "allocatable",
        "ALLOCATABLE",
        lambda n: n.node.allocatable_memory,
        BYTES,
        "what pods may request: capacity - reserved - the eviction threshold (status.allocatable)",
        json="allocatableBytes",
    ),
    replace(
        _POD["memory"],
        value=lambda n: n.working_set,
        help="the node's working set (metrics.k8s.io; with --cgroups or key c the node's root cgroup)",
        sort=("memory",),
    ),
    Column(
        "available",
        "AVAILABLE",
        lambda n: n.available,
        BYTES,
        "memory.available, the kubelet's eviction signal: capacity - working set",
        json="availableBytes",
    ),
    Column(
        "threshold",
        "THRESHOLD",
        lambda n: n.threshold,
        BYTES,
        "the kubelet's hard eviction threshold (--eviction-hard)",
        json="evictionThresholdBytes",
    ),
    replace(
        _POD["headroom"],
        value=lambda n: n.headroom,
        help="AVAILABLE - THRESHOLD: memory left before the kubelet starts evicting pods",
        wide=False,
    ),
    Column(
        "pressure",
        "PRESSURE",
        lambda n: n.memory_pressure,
        CONDITION,
        "the node's MemoryPressure condition",
        json="memoryPressure",
    ),
    Column(
        "requests",
        "REQUESTS",
        lambda n: n.requests,
        BYTES,
        "sum of the memory requests of its pods",
        json="requestsBytes",
        sort=("requests",),
        descending=True,
    ),
    Column(
        "limits",
        "LIMITS",
        lambda n: n.limits,
        LIMIT,
        "sum of the memory limits of its pods (unbounded: a pod without a limit)",
        json="limitsBytes",
        sort=("limits",),
        descending=True,
    ),
    Column(
        "overcommit",
        "%LIMITS/ALLOC",
        _overcommit,
        PERCENT,
        "LIMITS as a percentage of ALLOCATABLE: above 100% the limits cannot all be met",
        wide=True,
    ),
    Column(
        "no_limit",
        "NO-LIMIT PODS",
        lambda n: n.pods_without_limit,
        COUNT,
        "pods with a container without a memory limit",
        json="podsWithoutLimit",
        wide=True,
    ),
    Column(
        "pods",
        "PODS",
        lambda n: n.pod_count,
        replace(COUNT, width=4),
        "pods on the node",
        json="podCount",
        sort=("pods",),
        descending=True,
    ),
    Column(
        "evictions",
        "EVICTED",
        lambda n: n.evictions,
        COUNT,
        "history: its pods the kubelet evicted that the API still lists",
        json="evictions",
        sort=("evicted",),
        descending=True,
        wide=True,
    ),
    Column(
        "oom_killed",
        "OOM",
        lambda n: n.oom_killed,
        COUNT,
        "history: containers of its pods (ended ones too) whose last termination was an OOM kill",
        json="oomKilled",
        sort=("oom",),
        descending=True,
        wide=True,
    ),
]

NODE_SORTS: dict[str, tuple[str, bool]] = sorts(NODE_COLUMNS)
