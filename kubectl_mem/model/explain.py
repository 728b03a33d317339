"""`kubectl mem explain`: the story of one pod's (or one workload's) memory, as a typed result.

Pure: the caller fetches (pod, the pods of its node, metrics, node, events) and builds the
snapshot; this module reads the snapshot's views and turns them into a verdict, a cause with its
evidence, the memory picture, QoS / eviction rank / oom_score_adj with their reasons, runtime hints
and a recommendation. Every sentence it produces is built from a value it also returns, so the
report can show the number next to the claim.

Cause classification (per container, then the most serious one leads):
- `node-pressure-eviction`: status.reason Evicted with the kubelet's "low on resource: memory"
  message (or an Evicted event saying so). Certain.
- `node-oom-kill`: the kernel killed it because the node ran out, not its own limit:
  OOMKilled while the container has no memory limit of its own (and no pod-level limit); or an
  OOMKilled / exit 137 termination within a few minutes of a SystemOOM / OOMKilling event on its
  node; or cgroup memory.events showing oom_kill without the cgroup's own oom.
- `container-oom-kill`: OOMKilled with a memory limit and no sign of the node running out: the
  container reached its limit and the cgroup OOM killer fired. The runtime reports OOMKilled for
  any OOM kill inside the container's cgroup, so this is "likely", with the alternative named.
- `no-memory-problem`: nothing above. An exit 137 without OOMKilled is a SIGKILL from elsewhere
  (liveness probe, grace period ended, forced delete, ...); a liveness-probe event names it.

With the node collector (`explain --cgroups`, `model/cgroup_view.py`), the kernel's counters are
evidence too. The pod cgroup lives as long as the pod and its memory.events are hierarchical, so
`oom_kill` there counts every OOM kill in the pod since it started (the API keeps only each
container's last termination) and `oom` every time one of its cgroups reached its limit; a
node-level (global) OOM kill adds to `oom_kill` but never to `oom`. Hence:
- OOMKilled with a limit, while the pod cgroup says oom_kill > 0 and oom = 0: `node-oom-kill`,
  certain (no limit in the pod was ever reached).
- a running container whose own cgroup (new with each container instance) counts oom_kill > 0:
  the kernel killed one of its processes but not the main one, so the API recorded nothing;
  `container-oom-kill` when its cgroup also counts `oom` (it reached its limit), `node-oom-kill`
  when `oom` is 0. Certain on cgroup v2; on v1 (no `oom` counter) only likely.
The memory picture then shows per container what the usage is made of (anon, page cache active
and inactive, shmem, kernel) and how much the kernel could reclaim, and the recommendation builds
on the cgroup's memory.peak.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

import msgspec

from kubectl_mem.model.cgroup_view import CgroupOverlay, Figures, PodCgroup
from kubectl_mem.model.history import describe_termination, termination_kind
from kubectl_mem.model.quantity import format_bytes, memory_bytes
from kubectl_mem.model.recommend import ContainerUsageInput, Recommendation, qos_reason, recommend
from kubectl_mem.model.records import Pod, Termination
from kubectl_mem.model.runtime import RuntimeHint, analyze_container
from kubectl_mem.model.views import ContainerView, NodeView, PodView, Snapshot
from kubectl_mem.model.words import ago, ordinal, parse_time

CauseKind = Literal["container-oom-kill", "node-pressure-eviction", "node-oom-kill", "no-memory-problem"]
Confidence = Literal["certain", "likely", "possible"]
CAUSE_ORDER: dict[str, int] = {
    "node-pressure-eviction": 3,
    "node-oom-kill": 2,
    "container-oom-kill": 1,
    "no-memory-problem": 0,
}
NODE_OOM_WINDOW = timedelta(minutes=3)  # a node OOM event this close to the kill counts as evidence
EVENT_TTL_NOTE = "events are kept for 1h by default: kube-apiserver --event-ttl"


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


KERNEL_SOURCE = "cgroup memory.events (node collector)"
PEAK_SOURCE = "cgroup memory.peak: the most this container instance used, page cache included"


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
    oom_kills: int | None = None  # memory.events oom_kill (container: this instance; pod: since start)
    ooms: int | None = None  # memory.events oom: a limit was reached
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


class QosSection(msgspec.Struct, frozen=True, gc=False):
    qos_class: str
    from_status: bool  # status.qosClass (set by the API server) vs computed here
    why: str


class EvictionSection(msgspec.Struct, frozen=True, gc=False):
    node: str
    rank: int | None  # 1 = first evicted on its node; None when not ranked (not running)
    evictable_position: int | None  # counting only pods the kubelet may evict
    ranked_pods: int
    critical: bool
    working_set: int | None
    request: int
    priority: int
    exceeds_request: bool | None
    node_available: int | None
    node_threshold: int | None
    node_headroom: int | None
    memory_pressure: bool | None
    ahead: tuple[str, ...]  # the pods ranked before it (up to 5)
    why: tuple[str, ...]
    node_available_from: str = "metrics"  # "cgroup"/"summary": the node's own memory.available


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


# ---------------------------------------------------------------------------------------------
# small helpers


_time = parse_time


def _pct(p: float | None) -> str:
    return "-" if p is None else f"{p:.0f}%"


def _status_path(c: ContainerView, current: bool) -> str:
    lst = "initContainerStatuses" if c.kind != "regular" else "containerStatuses"
    return f"status.{lst}[{c.name}].{'state' if current else 'lastState'}.terminated"


def _near(t: datetime | None, events: Sequence[EventRecord], reasons: tuple[str, ...]) -> list[EventRecord]:
    out = []
    for e in events:
        if e.reason not in reasons:
            continue
        et = _time(e.last_timestamp)
        if t is None or et is None or abs(et - t) <= NODE_OOM_WINDOW:
            out.append(e)
    return out


# ---------------------------------------------------------------------------------------------
# causes


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "es" if word.endswith("s") else "s")


def _pod_kernel_evidence(pv: PodView, pod_cg: Figures | None) -> tuple[Evidence, ...]:
    """The pod cgroup's OOM counters, when the collector read them: every kill since the pod
    started, where the API keeps only each container's last termination."""
    if pod_cg is None or pod_cg.oom_kills is None:
        return ()
    ooms = "" if pod_cg.ooms is None else f"; oom {pod_cg.ooms}: times a cgroup of the pod reached its limit"
    return (
        Evidence(
            f"the kernel counted {_plural(pod_cg.oom_kills, 'OOM kill')} in the pod's cgroup since it "
            f"started (memory.events oom_kill {pod_cg.oom_kills}{ooms}); the API shows "
            f"{_plural(pv.oom_kills, 'OOMKilled container')}: it keeps only each container's last "
            "termination",
            KERNEL_SOURCE,
        ),
    )


def _kernel_cause(pv: PodView, c: ContainerView, cg: Figures | None, pod_limit: int | None) -> Cause | None:
    """OOM kills inside the running container instance that the API never saw: the kernel killed
    one of its processes, not the main one (its cgroup is new with each container instance)."""
    if cg is None or cg.source != "cgroup" or not cg.oom_kills or c.state == "terminated":
        return None
    kills = _plural(cg.oom_kills, "process")
    counters = f"{c.name} cgroup memory.events: oom_kill {cg.oom_kills}" + (
        "" if cg.ooms is None else f", oom {cg.ooms}"
    )
    evidence = [Evidence(counters, KERNEL_SOURCE)]
    unseen = "its main process survived, so Kubernetes recorded no OOMKilled"
    limit = c.limit or pod_limit
    if cg.ooms is not None and cg.ooms == 0:
        return Cause(
            "node-oom-kill",
            "certain",
            c.name,
            f"The kernel OOM-killed {kills} in {c.name} while its cgroup never reached a limit (oom 0): "
            f"node {pv.pod.node} ran out of memory; {unseen}.",
            tuple(evidence),
        )
    if limit is not None:
        evidence.append(
            Evidence(
                f"{c.name} memory limit {format_bytes(limit)}",
                f"spec.containers[{c.name}].resources.limits.memory"
                if c.limit
                else "spec.resources.limits.memory",
            )
        )
        if cg.ooms is None:
            return Cause(
                "container-oom-kill",
                "likely",
                c.name,
                f"The kernel OOM-killed {kills} in {c.name}, most likely at its {format_bytes(limit)} limit; "
                f"{unseen}.",
                tuple(evidence),
                ("cgroup v1 has no oom counter: a node-level OOM kill would count the same.",),
            )
        return Cause(
            "container-oom-kill",
            "certain",
            c.name,
            f"{c.name} reached its {format_bytes(limit)} memory limit {_plural(cg.ooms, 'time')} and the "
            f"kernel's cgroup OOM killer killed {kills} in it; {unseen}.",
            tuple(evidence),
        )
    return Cause(
        "node-oom-kill",
        "likely" if cg.ooms is None else "certain",
        c.name,
        f"The kernel OOM-killed {kills} in {c.name}, which has no memory limit of its own: node "
        f"{pv.pod.node} ran out of memory; {unseen}.",
        tuple(evidence),
    )


def _container_causes(
    pv: PodView,
    c: ContainerView,
    pod_events: Sequence[EventRecord],
    node_events: Sequence[EventRecord],
    cgroup: Figures | None,
    pod_cg: Figures | None,
    pod_limit: int | None,
    now: str | None,
) -> Cause | None:
    t: Termination | None = c.last_termination
    if t is None:
        return None
    kind = termination_kind(t)
    if kind not in ("oom_killed", "sigkill"):
        return None
    current = c.state == "terminated"
    src = _status_path(c, current)
    when = t.finished_at
    when_text = f", {ago(when, now)}" if ago(when, now) else ""
    term_ev = Evidence(f"{c.name}: {describe_termination(t)}{when_text}", src)
    restarts_ev = Evidence(
        f"{c.name} restarted {c.restart_count} times", f"status.containerStatuses[{c.name}]"
    )
    finished = _time(when)
    node_oom = _near(finished, node_events, ("SystemOOM", "OOMKilling"))
    node_oom_ev = tuple(
        Evidence(f'event {e.reason} on node {pv.pod.node}: "{e.message}"', f"events (node/{pv.pod.node})")
        for e in node_oom[:2]
    )
    node = pv.pod.node
    kernel_ev = _pod_kernel_evidence(pv, pod_cg)
    if kind == "oom_killed":
        if c.limit is None and pod_limit is None:
            return Cause(
                "node-oom-kill",
                "certain",
                c.name,
                f"{c.name} was OOM-killed although it has no memory limit of its own: the node's memory "
                f"ran out (the machine, or the allocatable limit the kubelet puts on all pods of {node}).",
                (
                    term_ev,
                    Evidence(f"{c.name} has no memory limit", f"spec.containers[{c.name}].resources"),
                    *node_oom_ev,
                    *kernel_ev,
                    restarts_ev,
                ),
                (),
                when,
            )
        if pod_cg is not None and pod_cg.oom_kills and pod_cg.ooms == 0:
            return Cause(
                "node-oom-kill",
                "certain",
                c.name,
                f"{c.name} was OOM-killed while under its {format_bytes(c.limit or pod_limit or 0)} "
                "limit: no cgroup of the pod ever reached its limit (memory.events oom 0), the node ran "
                "out.",
                (term_ev, *kernel_ev, *node_oom_ev, restarts_ev),
                (),
                when,
            )
        if node_oom:
            return Cause(
                "node-oom-kill",
                "likely",
                c.name,
                f"{c.name} was OOM-killed while node {node} itself ran out of memory "
                f"({node_oom[0].reason} event at the same time), not necessarily at its own limit.",
                (term_ev, *node_oom_ev, *kernel_ev, restarts_ev),
                (
                    f"It may also have reached its own {format_bytes(c.limit or pod_limit or 0)} limit at "
                    "the same moment; the API does not say which OOM killer fired.",
                ),
                when,
            )
        limit = c.limit or pod_limit or 0
        which = "its" if c.limit else "the pod's"
        evidence = [
            term_ev,
            Evidence(
                f"{c.name} memory limit {format_bytes(limit)}",
                f"spec.containers[{c.name}].resources.limits.memory"
                if c.limit
                else "spec.resources.limits.memory",
            ),
        ]
        if c.working_set is not None and c.pct_of_limit is not None:
            evidence.append(
                Evidence(
                    f"{c.name} now uses {format_bytes(c.working_set)} = {_pct(c.pct_of_limit)} of the limit "
                    "(after the restart)",
                    "metrics.k8s.io PodMetrics",
                )
            )
        evidence.extend(kernel_ev)
        evidence.append(restarts_ev)
        alternative = (
            f"A node-level OOM kill also reports OOMKilled; no SystemOOM/OOMKilling event was found for "
            f"node {node or '?'} ({EVENT_TTL_NOTE})."
        )
        if pod_cg is not None and pod_cg.ooms:
            alternative = (
                f"A node-level OOM kill also reports OOMKilled, but never counts as oom in memory.events: "
                f"the kernel counted {_plural(pod_cg.ooms, 'limit OOM')} in this pod, but does not say "
                "which kill was the last."
            )
        return Cause(
            "container-oom-kill",
            "likely",
            c.name,
            f"{c.name} reached {which} {format_bytes(limit)} memory limit and the kernel's cgroup OOM killer "
            "ended it.",
            tuple(evidence),
            (alternative,),
            when,
        )
    # exit 137 without OOMKilled
    if node_oom:
        return Cause(
            "node-oom-kill",
            "likely",
            c.name,
            f"{c.name} was killed (exit 137) when node {node} ran out of memory "
            f"({node_oom[0].reason} event at the same time).",
            (term_ev, *node_oom_ev, *kernel_ev, restarts_ev),
            ("The runtime did not record OOMKilled; the kill may have hit a child process first.",),
            when,
        )
    liveness = [
        e
        for e in pod_events
        if (e.reason == "Unhealthy" and "Liveness probe failed" in e.message)
        or (e.reason == "Killing" and "liveness probe" in e.message)
    ]
    evidence = [term_ev]
    if liveness:
        evidence += [
            Evidence(f'event {e.reason} (x{e.count}): "{e.message}"', f"events (pod/{pv.pod.name})")
            for e in liveness[:2]
        ]
        summary = (
            f"{c.name} was killed with SIGKILL (exit 137) after its liveness probe failed, not by "
            "the OOM killer."
        )
        conf: Confidence = "likely"
    else:
        summary = (
            f"{c.name} ended with exit 137 (SIGKILL) but was not OOM-killed: the runtime did not "
            "record OOMKilled."
        )
        conf = "possible"
    return Cause(
        "no-memory-problem",
        conf,
        c.name,
        summary,
        tuple(evidence),
        (
            "Other senders of SIGKILL: a liveness probe failure, the termination grace period running out, "
            f"a forced delete, a process inside the container ({EVENT_TTL_NOTE}).",
        ),
        when,
    )


def _kubelet_quantity(text: str) -> str:
    """A quantity from the kubelet's message ("81920Ki") in the short form used everywhere else."""
    if not text:
        return "?"
    try:
        return format_bytes(memory_bytes(text))
    except ValueError:
        return text


def _eviction_cause(pv: PodView, pod_events: Sequence[EventRecord]) -> Cause | None:
    ev = pv.evicted
    if ev is None:
        evicted_events = [e for e in pod_events if e.reason == "Evicted"]
        if not evicted_events:
            return None
        e = evicted_events[-1]
        memory = "resource: memory" in e.message
        return Cause(
            "node-pressure-eviction" if memory else "no-memory-problem",
            "certain" if memory else "likely",
            None,
            f"The kubelet evicted the pod: {e.message.strip()}",
            (Evidence(f'event Evicted: "{e.message.strip()}"', f"events (pod/{pv.pod.name})"),),
            (),
            e.last_timestamp,
        )
    evidence = [Evidence(f'status.reason Evicted: "{ev.raw.strip()}"', "status.message")]
    if ev.resource != "memory":
        return Cause(
            "no-memory-problem",
            "certain",
            None,
            f"The kubelet evicted the pod because node {pv.pod.node} ran low on "
            f"{ev.resource or 'a resource'}, not memory.",
            tuple(evidence),
        )
    for name, usage, request in ev.containers:
        evidence.append(
            Evidence(
                f"{name} was using {format_bytes(usage) if usage is not None else '?'} against a request of "
                f"{format_bytes(request) if request is not None else '0'}",
                "status.message (kubelet)",
            )
        )
    over = ", ".join(n for n, _u, _r in ev.containers) or "its containers"
    available = _kubelet_quantity(ev.available)
    return Cause(
        "node-pressure-eviction",
        "certain",
        None,
        f"The kubelet evicted the pod because node {pv.pod.node} ran low on memory (available "
        f"{available}, threshold {_kubelet_quantity(ev.threshold)}); {over} used more than requested, "
        "which puts a pod first in line.",
        tuple(evidence),
    )


# ---------------------------------------------------------------------------------------------
# sections


def _reclaim_sentence(f: Figures, limit: int | None) -> str:
    """What the kernel could give back under pressure, from the numbers it states."""
    if f.reclaimable is None or f.unreclaimable is None:
        return ""
    parts = []
    if f.anon is not None and f.shmem is not None:
        rest = f.unreclaimable - f.anon - f.shmem
        parts = [f"anon {format_bytes(f.anon)}", f"shmem {format_bytes(f.shmem)}"]
        if rest > 0:
            parts.append(f"kernel memory and sockets {format_bytes(rest)}")
    made_of = f" ({', '.join(parts)})" if parts else ""
    text = (
        f"Under memory pressure the kernel can reclaim {format_bytes(f.reclaimable)} of it (page cache and "
        f"reclaimable slab), not the other {format_bytes(f.unreclaimable)}{made_of} without swap"
    )
    if limit:
        text += (
            f": that is {_pct(100.0 * f.unreclaimable / limit)} of the {format_bytes(limit)} limit, the part "
            "that decides an OOM kill at the limit"
        )
    text += "."
    if f.peak is not None and limit:
        text += (
            f" Since this container instance started it used up to {format_bytes(f.peak)} (memory.peak), "
            f"{_pct(100.0 * f.peak / limit)} of the limit."
        )
    if f.active_file and f.working_set is not None:
        text += (
            f" Its working set {format_bytes(f.working_set)} includes {format_bytes(f.active_file)} of "
            "active page cache the kernel can still drop."
        )
    return text


def _cgroup_picture(f: Figures, limit: int | None) -> CgroupPicture:
    return CgroupPicture(
        source=f.source,
        usage=f.usage,
        working_set=f.working_set,
        anon=f.anon,
        active_file=f.active_file,
        inactive_file=f.inactive_file,
        shmem=f.shmem,
        kernel=f.kernel,
        sock=f.sock,
        reclaimable=f.reclaimable,
        unreclaimable=f.unreclaimable,
        peak=f.peak,
        limit=f.limit,
        oom_kills=f.oom_kills,
        ooms=f.ooms,
        psi_some_avg10=f.psi_some_avg10,
        psi_full_avg10=f.psi_full_avg10,
        reclaim=_reclaim_sentence(f, limit),
    )


def _peaks(pc: PodCgroup | None) -> dict[str, int]:
    """memory.peak of each container's cgroup (the current instance), when the kernel has it."""
    if pc is None:
        return {}
    return {c.name: c.figures.peak for c in pc.containers if c.figures.peak is not None}


def _pictures(
    pv: PodView, peaks: Mapping[str, int], pc: PodCgroup | None = None
) -> tuple[ContainerPicture, ...]:
    vols = {v.name: v for v in pv.pod.memory_volumes}
    specs = {c.name: c for c in pv.pod.containers}
    out = []
    for c in pv.containers:
        spec = specs.get(c.name)
        mounted = tuple(
            MemoryVolume(n, vols[n].size_limit)
            for n in (spec.memory_volume_mounts if spec else ())
            if n in vols
        )
        notes: list[str] = []
        if mounted:
            names = ", ".join(
                f"{v.name} ({format_bytes(v.size_limit) if v.size_limit else 'no sizeLimit'})"
                for v in mounted
            )
            notes.append(
                f"memory-backed emptyDir {names}: files written there (often /dev/shm) are charged to this "
                "container's memory and count against its limit"
            )
        if c.limit is None and c.kind != "init":
            notes.append("no memory limit: only the node's memory bounds it")
        if c.request is None and c.kind != "init":
            notes.append("no memory request: all of its usage is over its request for eviction ranking")
        t = c.last_termination
        cg = pc.container(c.name) if pc is not None else None
        out.append(
            ContainerPicture(
                name=c.name,
                kind=c.kind,
                working_set=c.working_set,
                peak=peaks.get(c.name),
                request=c.request,
                limit=c.limit,
                pct_of_request=c.pct_of_request,
                pct_of_limit=c.pct_of_limit,
                headroom=c.headroom,
                state=c.state,
                state_reason=c.state_reason,
                restarts=c.restart_count,
                last_termination=describe_termination(t) if t is not None else "",
                last_termination_at=t.finished_at if t is not None else None,
                oom_killed=c.oom_killed,
                oom_score_adj=c.oom_score_adj,
                memory_volumes=mounted,
                notes=tuple(notes),
                cgroup=_cgroup_picture(cg, c.limit) if cg is not None else None,
            )
        )
    return tuple(out)


def _qos(pv: PodView) -> QosSection:
    cls, why = qos_reason(pv.pod)
    if not pv.qos_computed and cls != pv.qos_class:
        why = (
            f"status.qosClass says {pv.qos_class} (fixed when the pod was created; the spec now reads "
            f"as {cls}: {why})"
        )
    return QosSection(pv.qos_class, not pv.qos_computed, why)


def _eviction(
    pv: PodView, node: NodeView | None, by_key: Mapping[str, PodView], available_from: str = "metrics"
) -> EvictionSection | None:
    if not pv.pod.node:
        return None
    order = node.eviction_order if node is not None else ()
    position = None
    ahead: list[str] = []
    if pv.eviction_rank is not None and not pv.critical:
        position = 0
        for k in order[: pv.eviction_rank]:
            other = by_key.get(k)
            if other is None or not other.critical:
                position += 1
    if pv.eviction_rank is not None:
        ahead = [k for k in order[: pv.eviction_rank - 1]][:5]
    ws = pv.working_set
    exceeds = None if ws is None else ws > pv.request
    why: list[str] = []
    if pv.eviction_rank is None:
        why.append(f"not ranked: the pod is {pv.pod.phase or 'not running'}")
    else:
        if ws is None:
            why.append("no usage known for it: the kubelet ranks pods without stats first")
        elif exceeds:
            why.append(
                f"its working set {format_bytes(ws)} is over its request "
                f"{format_bytes(pv.request) if pv.request else '0'}: pods over their request go first"
            )
        else:
            why.append(
                f"its working set {format_bytes(ws)} is within its request {format_bytes(pv.request)}: "
                "pods over their request go before it"
            )
        why.append(
            f"priority {pv.priority}: among pods on the same side of their request, lower priority goes first"
        )
        if ws is not None and ws >= pv.request:
            why.append(f"then by usage above request: {format_bytes(ws - pv.request)} (more goes first)")
        elif ws is not None:
            why.append(
                f"then by usage above request: it uses {format_bytes(pv.request - ws)} less than it requests"
            )
        if pv.critical:
            why.append("critical pod (static, mirror or priority >= 2000000000): ranked but never evicted")
    return EvictionSection(
        node=pv.pod.node,
        rank=pv.eviction_rank,
        evictable_position=position,
        ranked_pods=len(order),
        critical=pv.critical,
        working_set=ws,
        request=pv.request,
        priority=pv.priority,
        exceeds_request=exceeds,
        node_available=node.available if node else None,
        node_threshold=node.threshold if node else None,
        node_headroom=node.headroom if node else None,
        memory_pressure=node.memory_pressure if node else None,
        ahead=tuple(ahead),
        why=tuple(why),
        node_available_from=available_from if node is not None and node.available is not None else "metrics",
    )


def _oom_score(pv: PodView, node: NodeView | None) -> OomScoreSection:
    scores = tuple((c.name, c.oom_score_adj) for c in pv.containers if c.kind != "init")
    cap = node.node.capacity_memory if node is not None else 0
    if pv.qos_class == "Guaranteed" or all(s == -997 for _n, s in scores):
        meaning = (
            "-997: when the node runs out of memory the kernel kills these containers last; they "
            "are protected like system daemons"
        )
    elif pv.qos_class == "BestEffort":
        meaning = "1000: when the node runs out of memory the kernel kills these containers first"
    else:
        meaning = (
            "Burstable: 1000 - 1000 x memory request / node memory"
            + (f" ({format_bytes(cap)})" if cap else " (node capacity unknown: upper bound 999 shown)")
            + ", clamped to 3..999. On a node-level OOM the kernel adds each process's share of memory "
            "(x1000) to it and kills the highest score: a container far above its request goes early"
        )
    return OomScoreSection(scores, meaning)


def _usage_inputs(
    pv: PodView, causes: Sequence[Cause], peaks: Mapping[str, int]
) -> dict[str, ContainerUsageInput]:
    limit_killed = {c.container for c in causes if c.kind == "container-oom-kill"}
    at_eviction = {n: u for n, u, _r in pv.evicted.containers if u is not None} if pv.evicted else {}
    return {
        c.name: ContainerUsageInput(
            c.name,
            working_set=c.working_set,
            peak=peaks.get(c.name, at_eviction.get(c.name)),
            peak_source=PEAK_SOURCE
            if c.name in peaks
            else ("usage at the eviction, from the kubelet's message" if c.name in at_eviction else ""),
            oom_killed=c.name in limit_killed,
        )
        for c in pv.containers
    }


def _runtime(pv: PodView, node: NodeView | None, only: str | None) -> tuple[RuntimeHint, ...]:
    vols = {v.name: v.size_limit or 0 for v in pv.pod.memory_volumes}
    hints = []
    for c in pv.pod.containers:
        if c.kind == "init" or (only and c.name != only):
            continue
        hints.append(
            analyze_container(
                c,
                limit=c.resources.memory_limit or None,
                node_memory=node.node.capacity_memory
                if node is not None and node.node.capacity_memory
                else None,
                memory_volumes=sum(vols.get(n, 0) for n in c.memory_volume_mounts),
            )
        )
    return tuple(h for h in hints if h.runtime != "unknown")


def _pod_limit(pod: Pod) -> int | None:
    pr = pod.pod_resources
    return pr.memory_limit if pr is not None and pr.any_set and pr.memory_limit else None


# ---------------------------------------------------------------------------------------------
# verdict


def _node_sentence(ev: EvictionSection | None) -> str:
    if ev is None or ev.rank is None:
        return ""
    if ev.critical:
        place = (
            f"ranked {ordinal(ev.rank)} of {ev.ranked_pods} on node {ev.node} but critical, so never evicted"
        )
    else:
        place = f"{ordinal(ev.evictable_position or ev.rank)} in line for eviction on node {ev.node}"
    if ev.node_headroom is not None:
        if ev.node_headroom < 0:
            tail = f", which is {format_bytes(-ev.node_headroom)} past its eviction threshold"
        else:
            tail = f", which has {format_bytes(ev.node_headroom)} left before its eviction threshold"
    elif ev.memory_pressure:
        tail = ", which reports MemoryPressure"
    else:
        tail = " (node headroom unknown)"
    return f"The pod is {place}{tail}."


def _now_sentence(pv: PodView, cause: Cause) -> str:
    name = cause.container
    views = {c.name: c for c in pv.containers}
    c = views.get(name) if name else None
    if c is None:
        worst = [v for v in pv.containers if v.pct_of_limit is not None]
        c = max(worst, key=lambda v: v.pct_of_limit or 0.0) if worst else None
        if c is None:
            return ""
        return (
            f"Container {c.name} is now at {_pct(c.pct_of_limit)} of its {format_bytes(c.limit or 0)} limit "
            f"({format_bytes(c.working_set or 0)})."
        )
    if c.working_set is None:
        return "Its usage now is unknown (no metrics)."
    if c.limit:
        return f"It is now at {_pct(c.pct_of_limit)} of that limit ({format_bytes(c.working_set)})."
    return f"It now uses {format_bytes(c.working_set)}."


def _kernel_only(cause: Cause) -> bool:
    """A cause only the kernel's counters show (`_kernel_cause`): no termination behind it."""
    return cause.at is None and bool(cause.evidence) and cause.evidence[0].source == KERNEL_SOURCE


def _verdict(pv: PodView, cause: Cause, ev: EvictionSection | None, now: str | None) -> str:
    views = {c.name: c for c in pv.containers}
    c = views.get(cause.container or "")
    when = ago(cause.at, now)
    when_text = f", the last {when}" if when else ""
    restarts = f" (restarted {c.restart_count} times{when_text})" if c is not None and c.restart_count else ""
    node_s = _node_sentence(ev)
    if _kernel_only(cause) and c is not None:
        return " ".join(s for s in (cause.summary, _now_sentence(pv, cause), node_s) if s)
    if cause.kind == "container-oom-kill" and c is not None:
        limit = c.limit or _pod_limit(pv.pod) or 0
        head = f"Container {c.name} was OOM-killed by its {format_bytes(limit)} memory limit{restarts}."
        return " ".join(s for s in (head, _now_sentence(pv, cause), node_s) if s)
    if cause.kind == "node-oom-kill" and c is not None:
        own = f"its {format_bytes(c.limit)} limit" if c.limit else "no limit of its own"
        head = (
            f"Container {c.name} was killed by a node-level OOM{restarts}: node {pv.pod.node} ran out of "
            f"memory (the container has {own})."
        )
        return " ".join(s for s in (head, _now_sentence(pv, cause), node_s) if s)
    if cause.kind == "node-pressure-eviction":
        return cause.summary
    # no memory problem
    if cause.container is not None and c is not None:
        head = cause.summary
        return " ".join(
            s
            for s in (head, _now_sentence(pv, Cause("no-memory-problem", "possible", None, "")), node_s)
            if s
        )
    if pv.evicted is not None:
        return cause.summary
    if pv.working_set is None:
        head = "No OOM kill or eviction is recorded for this pod; its current usage is unknown (no metrics)."
    else:
        worst = max(
            (v for v in pv.containers if v.pct_of_limit is not None),
            key=lambda v: v.pct_of_limit or 0.0,
            default=None,
        )
        if worst is not None:
            head = (
                f"No memory problem: no OOM kill or eviction is recorded, and the container closest to its "
                f"limit, {worst.name}, uses {format_bytes(worst.working_set or 0)} = "
                f"{_pct(worst.pct_of_limit)} of {format_bytes(worst.limit or 0)}."
            )
        else:
            head = (
                f"No memory problem recorded: no OOM kill or eviction; the pod uses "
                f"{format_bytes(pv.working_set)} and sets no memory limit."
            )
    return " ".join(s for s in (head, node_s) if s)


# ---------------------------------------------------------------------------------------------
# entry points


def explain_pod(
    pv: PodView,
    snapshot: Snapshot,
    *,
    pod_events: Sequence[EventRecord] = (),
    node_events: Sequence[EventRecord] = (),
    container: str | None = None,
    cgroups: PodCgroup | None = None,
    available_from: str = "metrics",
    owner: WorkloadRef | None = None,
) -> PodExplanation:
    """One pod's story. `cgroups`: the pod's cgroups from the node collector (--cgroups), when its
    node was collected; `available_from`: where the node's memory.available comes from."""
    peaks = _peaks(cgroups)
    now = snapshot.taken_at
    node = next((n for n in snapshot.nodes if n.node.name == pv.pod.node), None)
    by_key = {p.key: p for p in snapshot.pods}
    pod_limit = _pod_limit(pv.pod)
    pod_cg = cgroups.figures if cgroups is not None and cgroups.figures.source == "cgroup" else None
    causes: list[Cause] = []
    ev_cause = _eviction_cause(pv, pod_events)
    if ev_cause is not None:
        causes.append(ev_cause)
    for c in pv.containers:
        if container and c.name != container:
            continue
        cg = cgroups.container(c.name) if cgroups is not None else None
        cause = _container_causes(pv, c, pod_events, node_events, cg, pod_cg, pod_limit, now)
        if cause is not None:
            causes.append(cause)
        kernel = _kernel_cause(pv, c, cg, pod_limit)
        if kernel is not None:
            causes.append(kernel)
    causes.sort(
        key=lambda c: (-CAUSE_ORDER[c.kind], -(_time(c.at) or datetime.min.replace(tzinfo=UTC)).timestamp())
    )
    if causes:
        lead = causes[0]
    else:
        lead = Cause(
            "no-memory-problem",
            "likely",
            None,
            "No OOM kill, eviction or SIGKILL is recorded.",
            (
                *(
                    Evidence(
                        f"{c.name}: {c.restart_count} restarts, "
                        + (
                            f"last {describe_termination(c.last_termination)}"
                            if c.last_termination
                            else "no termination recorded"
                        ),
                        f"status.containerStatuses[{c.name}]",
                    )
                    for c in pv.containers
                    if c.kind != "init" and (not container or c.name == container)
                ),
                *_pod_kernel_evidence(pv, pod_cg),
            ),
            (f"A kill older than the last restart leaves no trace in the pod status; {EVENT_TTL_NOTE}.",)
            if pod_cg is None
            else (),
        )
    eviction = _eviction(pv, node, by_key, available_from)
    rec_owner_kind, rec_owner_name = (owner.kind, owner.name) if owner else _owner_of(pv.pod)
    rec = recommend(
        pv.pod,
        _usage_inputs(pv, causes, peaks),
        owner_kind=rec_owner_kind,
        owner_name=rec_owner_name,
        containers=(container,) if container else (),
    )
    pictures = _pictures(pv, peaks, cgroups)
    if container:
        pictures = tuple(p for p in pictures if p.name == container)
    return PodExplanation(
        namespace=pv.pod.namespace,
        name=pv.pod.name,
        node=pv.pod.node,
        phase=pv.pod.phase,
        verdict=_verdict(pv, lead, eviction, now),
        cause=lead,
        other_causes=tuple(causes[1:]),
        containers=pictures,
        qos=_qos(pv),
        eviction=eviction,
        oom_score=_oom_score(pv, node),
        runtime=_runtime(pv, node, container),
        recommendation=rec,
        risk_level=pv.risk.level,
        risk_score=pv.risk_score,
        cgroup=_cgroup_picture(cgroups.figures, pv.limit) if cgroups is not None else None,
    )


def _owner_of(pod: Pod) -> tuple[str, str]:
    """The workload to change: a ReplicaSet's Deployment (name minus pod-template-hash), else the owner."""
    if pod.owner_kind == "ReplicaSet":
        labels = dict(pod.labels)
        h = labels.get("pod-template-hash")
        if h and pod.owner_name.endswith(f"-{h}"):
            return "Deployment", pod.owner_name[: -len(h) - 1]
    return pod.owner_kind, pod.owner_name


def _severity(p: PodExplanation) -> tuple:
    return (CAUSE_ORDER[p.cause.kind], p.risk_score, -len(p.name))


def explain(
    targets: Sequence[PodView],
    snapshot: Snapshot,
    *,
    namespace: str,
    target: str,
    workload: WorkloadRef | None = None,
    events: Mapping[str, Sequence[EventRecord]] | None = None,
    node_events: Mapping[str, Sequence[EventRecord]] | None = None,
    container: str | None = None,
    cgroups: CgroupOverlay | None = None,
    missing: Sequence[str] = (),
) -> Explanation:
    """The whole explanation for one pod or the pods of one workload.

    `events`: pod name -> its events; `node_events`: node name -> its events; `cgroups`: what the
    node collector read (--cgroups), by pod UID. Raises ValueError when `targets` is empty."""
    from kubectl_mem.model.cgroup_view import available_from

    if not targets:
        raise ValueError("nothing to explain")
    events = events or {}
    node_events = node_events or {}
    pods = [
        explain_pod(
            pv,
            snapshot,
            pod_events=events.get(pv.pod.name, ()),
            node_events=node_events.get(pv.pod.node, ()),
            container=container,
            cgroups=cgroups.pod(pv.pod.uid) if cgroups is not None else None,
            available_from=available_from(cgroups, pv.pod.node),
            owner=workload,
        )
        for pv in targets
    ]
    pods.sort(key=_severity, reverse=True)
    worst = pods[0]
    worst_view = next(pv for pv in targets if pv.pod.name == worst.name)
    missing = list(missing)
    if not snapshot.metrics_available:
        missing.append(
            "usage unknown: metrics.k8s.io is not available, so no working set, headroom or usage-based "
            "recommendation; install metrics-server (https://github.com/kubernetes-sigs/metrics-server)"
        )
    if workload is None:
        return Explanation(
            namespace=namespace,
            target=target,
            workload=None,
            verdict=worst.verdict,
            cause=worst.cause,
            pods=tuple(pods),
            worst=worst.name,
            shared=(),
            recommendation=worst.recommendation,
            runtime=worst.runtime,
            metrics_available=snapshot.metrics_available,
            missing=tuple(dict.fromkeys(missing)),
            taken_at=snapshot.taken_at,
        )
    rec = _workload_recommendation(targets, pods, workload, container, cgroups)
    return Explanation(
        namespace=namespace,
        target=target,
        workload=workload,
        verdict=_workload_verdict(workload, pods, worst),
        cause=worst.cause,
        pods=tuple(pods),
        worst=worst.name,
        shared=_shared(targets, pods),
        recommendation=rec,
        runtime=worst.runtime if worst.runtime else _runtime(worst_view, None, container),
        metrics_available=snapshot.metrics_available,
        missing=tuple(dict.fromkeys(missing)),
        taken_at=snapshot.taken_at,
    )


def _workload_verdict(w: WorkloadRef, pods: Sequence[PodExplanation], worst: PodExplanation) -> str:
    n = len(pods)
    counts: dict[str, int] = {}
    for p in pods:
        counts[p.cause.kind] = counts.get(p.cause.kind, 0) + 1
    label = {
        "container-oom-kill": "were OOM-killed by their container limit",
        "node-oom-kill": "were killed by a node-level OOM",
        "node-pressure-eviction": "were evicted under node memory pressure",
    }
    parts = [f"{counts[k]} of {n} {label[k]}" for k in label if counts.get(k)]
    name = f"{w.kind.lower()}/{w.name}"
    if parts:
        head = f"{name}: " + "; ".join(parts) + "."
    else:
        head = f"{name}: no memory problem recorded in its {n} pod{'s' if n != 1 else ''}."
    return f"{head} Worst: {worst.name}. {worst.verdict}"


def _shared(targets: Sequence[PodView], pods: Sequence[PodExplanation]) -> tuple[str, ...]:
    out: list[str] = []
    limits: dict[tuple, int] = {}
    for pv in targets:
        key = tuple((c.name, c.request, c.limit) for c in pv.containers if c.kind != "init")
        limits[key] = limits.get(key, 0) + 1
    if len(limits) == 1:
        (key,) = limits
        desc = ", ".join(
            f"{n}: request {format_bytes(r) if r else 'none'}, limit {format_bytes(lim) if lim else 'none'}"
            for n, r, lim in key
        )
        out.append(f"All {len(targets)} pods have the same memory settings ({desc}).")
    else:
        out.append(f"The pods have {len(limits)} different memory settings (a rollout in progress?).")
    ws = [pv.working_set for pv in targets if pv.working_set is not None]
    if ws:
        out.append(f"Working sets range from {format_bytes(min(ws))} to {format_bytes(max(ws))}.")
    nodes: dict[str, int] = {}
    for pv in targets:
        nodes[pv.pod.node or "<unscheduled>"] = nodes.get(pv.pod.node or "<unscheduled>", 0) + 1
    out.append("Nodes: " + ", ".join(f"{k} ({v})" for k, v in sorted(nodes.items())) + ".")
    qos = {pv.qos_class for pv in targets}
    if len(qos) == 1:
        out.append(f"QoS class: {qos.pop()} for all.")
    traps: dict[str, int] = {}
    for p in pods:
        for h in p.runtime:
            for t in h.traps:
                traps[t.code] = traps.get(t.code, 0) + 1
    for code, k in sorted(traps.items()):
        out.append(f"Runtime trap {code} in {k} of {len(pods)} pods (it comes from the shared pod template).")
    return tuple(out)


def _workload_recommendation(
    targets: Sequence[PodView],
    pods: Sequence[PodExplanation],
    w: WorkloadRef,
    container: str | None,
    cgroups: CgroupOverlay | None = None,
) -> Recommendation:
    """One recommendation for the template: the highest usage of each container across replicas
    (working set, and the cgroup peak where collected), and an OOM bump if any replica was
    OOM-killed by its limit."""
    ws: dict[str, int | None] = {}
    peak: dict[str, int] = {}
    killed = {c.container for p in pods for c in (p.cause, *p.other_causes) if c.kind == "container-oom-kill"}
    for pv in targets:
        peaks = _peaks(cgroups.pod(pv.pod.uid) if cgroups is not None else None)
        for c in pv.containers:
            if c.working_set is not None and (ws.get(c.name) is None or c.working_set > (ws[c.name] or 0)):
                ws[c.name] = c.working_set
            else:
                ws.setdefault(c.name, None)
            if c.name in peaks and peaks[c.name] > peak.get(c.name, -1):
                peak[c.name] = peaks[c.name]
    best = {
        name: ContainerUsageInput(
            name,
            working_set=w_,
            peak=peak.get(name),
            peak_source=PEAK_SOURCE + " (the highest of the replicas)" if name in peak else "",
            oom_killed=name in killed,
        )
        for name, w_ in ws.items()
    }
    template = max(targets, key=lambda pv: pv.working_set or 0).pod
    return recommend(
        template, best, owner_kind=w.kind, owner_name=w.name, containers=(container,) if container else ()
    )
