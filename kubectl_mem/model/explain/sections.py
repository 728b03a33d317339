"""The sections of a pod's explanation: the memory picture per container (with the kernel's
breakdown under --cgroups), QoS, eviction rank, oom_score_adj and runtime hints."""

from __future__ import annotations

from collections.abc import Mapping

from kubectl_mem.model.cgroup import Figures, PodCgroup
from kubectl_mem.model.explain.evidence import pct
from kubectl_mem.model.explain.results import (
    CgroupPicture,
    ContainerPicture,
    EvictionSection,
    MemoryVolume,
    OomScoreSection,
    QosSection,
)
from kubectl_mem.model.history import describe_termination
from kubectl_mem.model.oom_score import is_node_critical
from kubectl_mem.model.quantity import format_bytes
from kubectl_mem.model.recommend import qos_reason
from kubectl_mem.model.records import Pod
from kubectl_mem.model.runtime import RuntimeHint, analyze_container
from kubectl_mem.model.views import NodeView, PodView


def reclaim_sentence(f: Figures, limit: int | None) -> str:
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
            f": that is {pct(100.0 * f.unreclaimable / limit)} of the {format_bytes(limit)} limit, the part "
            "that decides an OOM kill at the limit"
        )
    text += "."
    if f.peak is not None and limit:
        text += (
            f" Since this container instance started it used up to {format_bytes(f.peak)} (memory.peak), "
            f"{pct(100.0 * f.peak / limit)} of the limit."
        )
    if f.active_file and f.working_set is not None:
        text += (
            f" Its working set {format_bytes(f.working_set)} includes {format_bytes(f.active_file)} of "
            "active page cache the kernel can still drop."
        )
    return text


def cgroup_picture(f: Figures, limit: int | None) -> CgroupPicture:
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
        oom_kills_file=f.oom_kills_file,
        oom_kills_not_counted=f.oom_kills_not_counted,
        psi_some_avg10=f.psi_some_avg10,
        psi_full_avg10=f.psi_full_avg10,
        reclaim=reclaim_sentence(f, limit),
    )


def container_peaks(pc: PodCgroup | None) -> dict[str, int]:
    """memory.peak of each container's cgroup (the current instance), when the kernel has it."""
    if pc is None:
        return {}
    return {c.name: c.figures.peak for c in pc.containers if c.figures.peak is not None}


def container_pictures(
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
        missing = pc.missing(c.name) if pc is not None and cg is None else None
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
                cgroup=cgroup_picture(cg, c.limit) if cg is not None else None,
                no_cgroup=missing.state if missing is not None else None,
            )
        )
    return tuple(out)


def qos_section(pv: PodView) -> QosSection:
    cls, why = qos_reason(pv.pod)
    if not pv.qos_computed and cls != pv.qos_class:
        why = (
            f"status.qosClass says {pv.qos_class} (fixed when the pod was created; the spec now reads "
            f"as {cls}: {why})"
        )
    return QosSection(pv.qos_class, not pv.qos_computed, why)


AHEAD_SHOWN = 5


def eviction_section(
    pv: PodView, node: NodeView | None, by_key: Mapping[str, PodView], available_from: str = "metrics"
) -> EvictionSection | None:
    if not pv.pod.node:
        return None
    place = pv.eviction
    order = node.eviction_order if node is not None else ()
    ahead: list[str] = []
    if place.first is not None:
        for k in order:
            other = by_key.get(k)
            if other is not None and other.eviction.last is not None and other.eviction.last < place.first:
                ahead.append(k)
    ws = pv.working_set
    exceeds = pv.over_request
    why: list[str] = []
    if not place.ranked:
        why.append(f"not ranked: the pod is {pv.status or pv.pod.phase or 'not running'}")
    else:
        if place.no_stats:
            why.append(
                "the kubelet has no stats for it (absent from its Summary API: no container running): the "
                "kubelet ranks pods without stats first"
            )
        elif ws is None:
            why.append(
                "its usage is unknown (no metrics, no Summary API figure): the kubelet knows it from its own "
                "stats, so it may be over its request or not, and its place is only known within a range"
            )
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
        others = place.unknown - (1 if ws is None else 0)
        if others > 0 and not place.critical:
            why.append(
                f"the usage of {others} other pod{'s' if others != 1 else ''} on {place.node} is unknown: "
                "they could rank before or after it"
            )
        if pv.critical:
            why.append(
                "critical pod (static, mirror or priority >= 2000000000): the kubelet ranks it but never "
                "evicts it, so it takes no place in line"
            )
    return EvictionSection(
        node=pv.pod.node,
        place=place.text,
        words=place.words,
        first=place.first,
        last=place.last,
        of=place.of,
        critical=pv.critical,
        working_set=ws,
        request=pv.request,
        priority=pv.priority,
        exceeds_request=exceeds,
        node_available=node.available if node else None,
        node_threshold=node.threshold if node else None,
        node_headroom=node.headroom if node else None,
        memory_pressure=node.memory_pressure if node else None,
        ahead=tuple(ahead[:AHEAD_SHOWN]),
        ahead_total=len(ahead),
        why=tuple(why),
        node_available_from=available_from if node is not None and node.available is not None else "metrics",
    )


def oom_score_section(pv: PodView, node: NodeView | None) -> OomScoreSection:
    scores = tuple((c.name, c.oom_score_adj) for c in pv.containers if c.kind != "init")
    cap = node.node.capacity_memory if node is not None else 0
    if is_node_critical(pv.pod, pv.priority):
        meaning = (
            f"-997: a system-node-critical pod, so the kubelet gives every container the score of a "
            f"Guaranteed pod whatever its QoS class ({pv.qos_class} here): when the node runs out of "
            "memory the kernel kills these containers last"
        )
    elif pv.qos_class == "Guaranteed":
        meaning = (
            "-997: a Guaranteed pod: when the node runs out of memory the kernel kills these containers "
            "last; they are protected like system daemons"
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


def runtime_hints(pv: PodView, node: NodeView | None, only: str | None) -> tuple[RuntimeHint, ...]:
    """One hint per container whose runtime is known; for an OOM-killed container whose runtime is
    not, the runtime checks as conditions ("if this is a Go program ...")."""
    vols = {v.name: v.size_limit or 0 for v in pv.pod.memory_volumes}
    killed = {c.name for c in pv.containers if c.oom_killed}
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
                oom_killed=c.name in killed,
            )
        )
    return tuple(h for h in hints if h.runtime != "unknown" or h.traps)


def pod_level_limit(pod: Pod) -> int | None:
    pr = pod.pod_resources
    return pr.memory_limit if pr is not None and pr.any_set and pr.memory_limit else None
