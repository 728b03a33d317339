"""What the model produces: one typed, immutable snapshot of the cluster's memory.

`report/` and `tui/` read only these. Values stay typed (bytes as int, percentages as float) and
are formatted when drawn, so sorting never parses strings back.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from kubectl_mem.model.records import ContainerKind, Node, Pod, Termination

RiskLevel = Literal["unknown", "low", "medium", "high", "critical"]
RISK_ORDER: dict[str, int] = {"unknown": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


class Risk(msgspec.Struct, frozen=True, gc=False):
    level: RiskLevel
    reasons: tuple[str, ...] = ()


class EvictionMessage(msgspec.Struct, frozen=True, gc=False):
    """The kubelet's eviction message, parsed: which resource ran short, the threshold that was
    crossed, and per container its usage and request (bytes)."""

    resource: str = ""  # "memory", "ephemeral-storage", ...
    threshold: str = ""  # e.g. "100Mi", as the kubelet printed it
    available: str = ""  # e.g. "88Mi"
    containers: tuple[tuple[str, int | None, int | None], ...] = ()  # (name, usage, request)
    raw: str = ""


class ContainerView(msgspec.Struct, frozen=True, gc=False):
    name: str
    kind: ContainerKind
    working_set: int | None  # None: no metrics for it
    request: int | None
    limit: int | None
    pct_of_request: float | None
    pct_of_limit: float | None
    headroom: int | None  # limit - working set; None without a limit or usage
    oom_score_adj: int
    restart_count: int
    last_termination: Termination | None
    oom_killed: bool  # last (or current) termination was OOMKilled
    state: str = "unknown"
    state_reason: str = ""


class PodView(msgspec.Struct, frozen=True, gc=False):
    pod: Pod
    qos_class: str  # status.qosClass, else computed
    qos_computed: bool  # True when the server did not set it and the model computed it
    priority: int  # unset counts as 0
    working_set: int | None  # sum of containers' working sets; None without metrics
    request: int  # the pod's memory request as the kubelet computes it for eviction ranking
    limit: int | None  # the pod cgroup limit: pod-level, or the sum when every container has one
    containers: tuple[ContainerView, ...]
    worst_container: str | None  # the container closest to its limit
    worst_pct_of_limit: float | None
    headroom: int | None  # bytes the worst container has left before its limit
    restarts: int
    oom_kills: int  # containers whose last or current termination was OOMKilled
    eviction_rank: int | None  # 1 = first evicted on its node; None when not ranked
    critical: bool  # critical pods are ranked but never evicted by the kubelet
    evicted: EvictionMessage | None  # set when the pod was evicted (status.reason Evicted)
    oom_risk: Risk
    eviction_risk: Risk
    risk: Risk  # the higher of the two, reasons of both
    risk_score: float  # sort key: higher is closer to being killed

    @property
    def key(self) -> str:
        return self.pod.key


class NodeView(msgspec.Struct, frozen=True, gc=False):
    node: Node
    working_set: int | None  # NodeMetrics usage (root cgroup working set)
    available: int | None  # memory.available = capacity - working set
    threshold: int  # the hard eviction threshold in bytes
    headroom: int | None  # available - threshold: how far from MemoryPressure
    allocatable_headroom: int | None  # allocatable - sum of its pods' working sets
    pods_working_set: int | None
    requests: int  # sum of its pods' memory requests
    limits: int | None  # sum of limits; None when some pod has no limit (unbounded)
    pods_without_limit: int
    pod_count: int
    eviction_order: tuple[str, ...]  # pod keys "ns/name", first evicted first
    memory_pressure: bool | None


class Snapshot(msgspec.Struct, frozen=True, gc=False):
    pods: tuple[PodView, ...]
    nodes: tuple[NodeView, ...]
    taken_at: str  # RFC 3339, when the data was fetched
    metrics_available: bool
    metrics_timestamp: str | None = None  # the newest metrics sample time
    warnings: tuple[str, ...] = ()
