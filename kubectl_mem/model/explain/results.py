"""The typed result of `kubectl mem explain`: causes with their evidence, the memory picture,
QoS / eviction / oom_score_adj sections, and the explanation of a pod or a workload.

Every sentence the model produces is built from a value it also returns here, so the report can
show the number next to the claim.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from kubectl_mem.model.recommend import Recommendation
from kubectl_mem.model.runtime import RuntimeHint
from kubectl_mem.model.workloads import WorkloadFigures

CauseKind = Literal["container-oom-kill", "node-pressure-eviction", "node-oom-kill", "no-memory-kill"]


Confidence = Literal["certain", "likely", "possible"]


CAUSE_ORDER: dict[str, int] = {
    "node-pressure-eviction": 3,
    "node-oom-kill": 2,
    "container-oom-kill": 1,
    "no-memory-kill": 0,
}


class EventRecord(msgspec.Struct, frozen=True, gc=False):
    """A core/v1 Event, slim: what explain reads from the pod's and the node's events."""

    involved_kind: str
    involved_name: str
    reason: str
    message: str = ""
    namespace: str = ""
    type: str = ""
    count: int = 1
    last_timestamp: str | None = None
    component: str = ""


class Evidence(msgspec.Struct, frozen=True, gc=False):
    text: str  # the fact, with its value
    source: str  # where it was read: "status.containerStatuses[api].lastState.terminated", ...


class Cause(msgspec.Struct, frozen=True, gc=False):
    kind: CauseKind
    confidence: Confidence
    container: str | None  # None for the pod as a whole (eviction, nothing found)
    summary: str  # one sentence
    evidence: tuple[Evidence, ...] = ()
    alternatives: tuple[str, ...] = ()  # what else could explain the same data
    at: str | None = None  # when it happened (RFC 3339), when known


class MemoryVolume(msgspec.Struct, frozen=True, gc=False):
    name: str
    size_limit: int | None


class CgroupPicture(msgspec.Struct, frozen=True, gc=False):
    """A container's (or the pod's) memory as its cgroup reports it (`explain --cgroups`).

    `source`: "cgroup" (the node collector) or "summary" (the kubelet Summary API: working set,
    usage and RSS only). Bytes; None: not known from this source."""

    source: str
    usage: int | None = None
    working_set: int | None = None
    anon: int | None = None
    active_file: int | None = None  # page cache in use: counted in the working set
    inactive_file: int | None = None  # page cache the working set leaves out
    shmem: int | None = None  # tmpfs / memory-backed emptyDir: counted as file, not reclaimable
    kernel: int | None = None
    sock: int | None = None
    reclaimable: int | None = None  # page cache + reclaimable slab
    unreclaimable: int | None = None
    peak: int | None = None
    limit: int | None = None
    oom_kills: int | None = None  # oom_kill (container: this instance; pod: since start, v2 only)
    ooms: int | None = None  # v2 memory.events oom: a limit was reached
    oom_kills_file: str | None = None  # memory.events (v2) or memory.oom_control (v1)
    oom_kills_not_counted: str | None = None  # why oom_kills is None (a pod's on cgroup v1)
    psi_some_avg10: float | None = None
    psi_full_avg10: float | None = None
    reclaim: str = ""  # what the kernel could give back, in words, from the numbers above


class ContainerPicture(msgspec.Struct, frozen=True, gc=False):
    name: str
    kind: str
    working_set: int | None
    peak: int | None
    request: int | None
    limit: int | None
    pct_of_request: float | None
    pct_of_limit: float | None
    headroom: int | None  # limit - working set
    state: str
    state_reason: str
    restarts: int
    last_termination: str  # describe_termination, "" when none
    last_termination_at: str | None
    oom_killed: bool
    oom_score_adj: int
    memory_volumes: tuple[MemoryVolume, ...]
    notes: tuple[str, ...]
    cgroup: CgroupPicture | None = None  # with --cgroups, when its node was collected
    # with --cgroups: its pod's cgroup was read and it had none (the API's state: CrashLoopBackOff ...)
    no_cgroup: str | None = None


class QosSection(msgspec.Struct, frozen=True, gc=False):
    qos_class: str
    from_status: bool  # status.qosClass (set by the API server) vs computed here
    why: str


class EvictionSection(msgspec.Struct, frozen=True, gc=False):
    """The pod's place in its node's eviction order: the snapshot's `PodView.eviction`, the one
    counting every view uses (only pods the kubelet may evict take a place)."""

    node: str
    place: str  # EVICT# as `top` shows it: "3", "1..9", "never", "-"
    words: str  # "3rd of 12 to be evicted on node-3", "between 1st and 9th of 12 ..."
    first: int | None  # earliest possible place (1 = evicted first); None: not ranked or critical
    last: int | None  # latest possible place; equal to `first` when known
    of: int  # pods the kubelet may evict on the node
    critical: bool
    working_set: int | None
    request: int
    priority: int
    exceeds_request: bool | None
    node_available: int | None
    node_threshold: int | None
    node_headroom: int | None
    memory_pressure: bool | None
    ahead: tuple[str, ...]  # pods surely ranked before it, first evicted first (up to 5)
    why: tuple[str, ...]
    node_available_from: str = "metrics"  # "cgroup"/"summary": the node's own memory.available
    ahead_total: int = 0  # how many pods are surely ranked before it (`ahead` shows up to 5)


class OomScoreSection(msgspec.Struct, frozen=True, gc=False):
    scores: tuple[tuple[str, int], ...]  # (container, oom_score_adj)
    meaning: str


class PodExplanation(msgspec.Struct, frozen=True, gc=False):
    namespace: str
    name: str
    node: str
    phase: str
    verdict: str
    cause: Cause
    other_causes: tuple[Cause, ...]
    containers: tuple[ContainerPicture, ...]
    qos: QosSection
    eviction: EvictionSection | None
    oom_score: OomScoreSection
    runtime: tuple[RuntimeHint, ...]
    recommendation: Recommendation
    risk_level: str
    risk_score: float
    cgroup: CgroupPicture | None = None  # the pod cgroup (--cgroups): OOM kills since the pod started
    # the snapshot's judgement, as `top` shows it (never judged again here)
    status: str = ""  # kubectl's STATUS
    live: bool = True  # False once the pod ended: history, no live risk
    risk_up_to: str | None = None  # the level it could reach where usage is unknown
    risk_reasons: tuple[str, ...] = ()
    working_set: int | None = None  # the pod's, as ranked (None: unknown)
    working_set_source: str | None = None  # "metrics" or "summary" (the kubelet's pod cgroup figure)


class WorkloadRef(msgspec.Struct, frozen=True, gc=False):
    kind: str  # Deployment, StatefulSet, DaemonSet
    name: str


class Explanation(msgspec.Struct, frozen=True, gc=False):
    namespace: str
    target: str  # "pod/x", "deployment/api"
    workload: WorkloadRef | None
    verdict: str
    cause: Cause  # the leading cause (of the worst pod for a workload)
    pods: tuple[PodExplanation, ...]  # worst first
    worst: str  # the worst pod's name
    shared: tuple[str, ...]  # what the replicas have in common (workloads)
    recommendation: Recommendation  # for the workload (built on the highest usage) or the pod
    runtime: tuple[RuntimeHint, ...]
    metrics_available: bool
    missing: tuple[str, ...]  # sources that were not available and what that hides
    taken_at: str
    # a workload's figures, the row `kubectl mem workloads` shows for it (model/workloads.py)
    figures: WorkloadFigures | None = None
