"""What the model produces: one typed, immutable snapshot of the cluster's memory.

`report/` and `tui/` read only these. Values stay typed (bytes as int, percentages as float) and
are formatted when drawn, so sorting never parses strings back.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from kubectl_mem.model.records import ContainerKind, Node, Pod, Termination, UsageSource
from kubectl_mem.model.words import ordinal

RiskLevel = Literal["none", "unknown", "low", "medium", "high", "critical"]
"""`none`: the pod has ended (Succeeded, Failed, Evicted): history, no live risk."""
RISK_ORDER: dict[str, int] = {"none": -1, "unknown": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


class Risk(msgspec.Struct, frozen=True, gc=False):
    level: RiskLevel  # what is certain from the data
    reasons: tuple[str, ...] = ()
    up_to: RiskLevel | None = None  # the level it could reach, when unknown usage leaves it open

    @property
    def text(self) -> str:
        """`medium`, or `medium+` when it could be higher (see `up_to`)."""
        return self.level + ("+" if self.up_to is not None else "")


class EvictionPlace(msgspec.Struct, frozen=True, gc=False):
    """Where a pod stands in its node's eviction order, counting only the pods the kubelet may evict
    (critical pods are ranked upstream but skipped, so they take no place).

    `first` = `last` when known; when the usage of the pod, or of pods it could overtake, is
    unknown, the place is only known to lie between them. None: not ranked (ended, not on a node)
    or critical (never evicted)."""

    node: str = ""
    ranked: bool = False  # on a node and not ended: the kubelet ranks it
    critical: bool = False  # static, mirror or priority >= 2000000000: never evicted
    first: int | None = None  # the earliest place it can have (1 = evicted first)
    last: int | None = None  # the latest
    of: int = 0  # pods the kubelet may evict on the node
    unknown: int = 0  # of those, pods whose usage is unknown
    no_stats: bool = False  # absent from the kubelet's Summary (read for its node): ranked first upstream

    @property
    def exact(self) -> bool:
        return self.first is not None and self.first == self.last

    @property
    def text(self) -> str:
        """The EVICT# cell: `3`, `3..9` (somewhere between), `never` (critical), `-` (not ranked)."""
        if self.critical and self.ranked:
            return "never"
        if self.first is None:
            return "-"
        return str(self.first) if self.exact else f"{self.first}..{self.last}"

    @property
    def words(self) -> str:
        """`3rd of 12 to be evicted on node-3`, `between 1st and 9th of 12 ...`, in one phrase."""
        if not self.ranked:
            return "not ranked for eviction: the pod is not running on a node"
        if self.critical:
            return f"never evicted from {self.node}: a critical pod"
        if self.first is None or self.last is None:
            return f"not ranked on {self.node}"
        if self.exact:
            return f"{ordinal(self.first)} of {self.of} to be evicted on {self.node}"
        span = f"between {ordinal(self.first)} and {ordinal(self.last)}"
        return f"{span} of {self.of} to be evicted on {self.node}"


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
    """One pod, judged once: every view shows these values and says nothing they do not."""

    pod: Pod
    qos_class: str  # status.qosClass, else computed
    qos_computed: bool  # True when the server did not set it and the model computed it
    priority: int  # unset counts as 0
    working_set: int | None  # None: unknown (no metrics, no Summary API figure)
    request: int  # the pod's memory request as the kubelet computes it for eviction ranking
    limit: int | None  # the pod cgroup limit: pod-level, or the sum when every container has one
    containers: tuple[ContainerView, ...]
    worst_container: str | None  # the container closest to its limit
    worst_pct_of_limit: float | None
    headroom: int | None  # bytes the worst container has left before its limit
    restarts: int
    oom_kills: int  # containers whose last or current termination was OOMKilled
    eviction: EvictionPlace  # its place in its node's eviction order
    critical: bool  # critical pods are ranked but never evicted by the kubelet
    evicted: EvictionMessage | None  # set when the pod was evicted (status.reason Evicted)
    oom_risk: Risk
    eviction_risk: Risk
    risk: Risk  # the higher of the two, reasons of both
    risk_score: float  # sort key: higher is closer to being killed
    status: str = ""  # kubectl's STATUS: Running, Pending, CrashLoopBackOff, OOMKilled, Evicted ...
    live: bool = True  # False once the pod ended (Succeeded, Failed): history, no live risk
    usage_source: UsageSource | None = None  # where `working_set` was read; None: unknown
    verdict: str = ""  # the judgement in one sentence, as every view says it
    over_request: bool | None = None  # working set > request, compared exactly; None: usage unknown

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
    eviction_order: tuple[str, ...]  # keys "ns/name" of its live pods: evictable by place, critical last
    memory_pressure: bool | None
    usage_source: UsageSource | None = None  # where `working_set` was read; None: unknown
    unknown_usage: int = 0  # live pods on it whose usage is unknown
    evictions: int = 0  # history: its pods the kubelet evicted (still listed by the API)
    oom_killed: int = 0  # history: containers of its pods whose last termination was OOMKilled


class Snapshot(msgspec.Struct, frozen=True, gc=False):
    pods: tuple[PodView, ...]
    nodes: tuple[NodeView, ...]
    taken_at: str  # RFC 3339, when the data was fetched
    metrics_available: bool
    metrics_timestamp: str | None = None  # the newest metrics sample time
    warnings: tuple[str, ...] = ()
