"""What the recommendation is built on: each container's usage, peak and OOM kills, for a pod
and for a workload's template."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from kubectl_mem.model.cgroup import CgroupOverlay, PodCgroup
from kubectl_mem.model.explain.evidence import PEAK_SOURCE
from kubectl_mem.model.explain.results import Cause, PodExplanation, WorkloadRef
from kubectl_mem.model.explain.sections import container_peaks
from kubectl_mem.model.quantity import format_bytes
from kubectl_mem.model.recommend import ContainerUsageInput, Recommendation, mi
from kubectl_mem.model.runtime import analyze_container, mib_floor, recommended_heap_pct
from kubectl_mem.model.runtime.go import GO_MEMLIMIT_SHARE
from kubectl_mem.model.views import PodView
from kubectl_mem.model.workloads import WorkloadRow, rollup_one


def usage_inputs(
    pv: PodView,
    causes: Sequence[Cause],
    peaks: Mapping[str, int],
    unreclaimable: Mapping[str, int] | None = None,
) -> dict[str, ContainerUsageInput]:
    """`peaks`: memory.peak per container (--cgroups); `unreclaimable`: what the kernel cannot
    reclaim per container (--cgroups), the base of a limit."""
    limit_killed = {c.container for c in causes if c.kind == "container-oom-kill"}
    at_eviction = {n: u for n, u, _r in pv.evicted.containers if u is not None} if pv.evicted else {}
    unreclaimable = unreclaimable or {}
    return {
        c.name: ContainerUsageInput(
            c.name,
            working_set=c.working_set,
            peak=peaks.get(c.name, at_eviction.get(c.name)),
            peak_source=PEAK_SOURCE
            if c.name in peaks
            else ("usage at the eviction, from the kubelet's message" if c.name in at_eviction else ""),
            oom_killed=c.name in limit_killed,
            unreclaimable=unreclaimable.get(c.name),
            peak_is_cgroup=c.name in peaks,
        )
        for c in pv.containers
    }


def workload_row(
    targets: Sequence[PodView],
    pods: Sequence[PodExplanation],
    w: WorkloadRef,
    namespace: str,
    container: str | None,
    cgroups: CgroupOverlay | None = None,
) -> WorkloadRow:
    """The workload's row as `kubectl mem workloads` computes it (model/workloads.py: one
    computation for both), told what explain knows more: the containers its causes show were
    OOM-killed by their own limit (a node-level OOM kill is no reason to raise a limit), and the
    kernel's memory.peak of each replica (--cgroups)."""
    killed = {c.container for p in pods for c in (p.cause, *p.other_causes) if c.kind == "container-oom-kill"}
    peaks = {
        (pv.pod.uid, name): value
        for pv in targets
        for name, value in container_peaks(cgroups.pod(pv.pod.uid) if cgroups is not None else None).items()
    }
    unreclaimable = {
        (pv.pod.uid, name): value
        for pv in targets
        for name, value in container_unreclaimable(
            cgroups.pod(pv.pod.uid) if cgroups is not None else None
        ).items()
    }
    return rollup_one(
        w.kind,
        namespace,
        w.name,
        targets,
        peaks=peaks or None,
        peak_source=PEAK_SOURCE + " (the highest of the replicas)",
        limit_kills=killed,
        container=container,
        unreclaimable=unreclaimable or None,
    )


def container_unreclaimable(pc: PodCgroup | None) -> dict[str, int]:
    """What the kernel cannot reclaim in each container's cgroup (the current instance)."""
    if pc is None:
        return {}
    return {c.name: c.figures.unreclaimable for c in pc.containers if c.figures.unreclaimable is not None}


def workload_recommendation(
    targets: Sequence[PodView],
    pods: Sequence[PodExplanation],
    w: WorkloadRef,
    container: str | None,
    cgroups: CgroupOverlay | None = None,
    namespace: str = "",
) -> Recommendation:
    """One recommendation for the template: the highest usage of each container across replicas
    (working set, and the cgroup peak where collected), and an OOM bump if any replica was
    OOM-killed by its limit (workload_row's)."""
    row = workload_row(targets, pods, w, namespace or targets[0].pod.namespace, container, cgroups)
    assert row.recommendation is not None  # targets is not empty
    return row.recommendation.recommendation


def runtime_caveats(pv: PodView, rec: Recommendation, node_memory: int | None) -> Recommendation:
    """`rec` with what a changed limit does to the runtime's own ceiling: a JVM sized by
    MaxRAMPercentage grows its heap with the limit, an -Xmx, a literal GOMEMLIMIT or
    --max-old-space-size does not and must move with it."""
    specs = {c.name: c for c in pv.pod.containers}
    extra: list[str] = []
    for r in rec.containers:
        c = specs.get(r.container)
        if c is None or not r.limit_changed or r.limit is None:
            continue
        now = analyze_container(c, limit=r.current_limit, node_memory=node_memory)
        new = analyze_container(c, limit=r.limit, node_memory=node_memory)
        names = {s.name: s for s in now.settings}
        lim = mi(r.limit)
        if now.runtime == "jvm":
            if "-Xmx" in names:
                xmx = names["-Xmx"]
                extra.append(
                    f"{c.name}: the JVM's heap is fixed by {xmx.value} ({xmx.source}): it does not grow "
                    f"with the new {lim} limit; raise it too if the heap is what runs out"
                )
            elif (
                now.heap_limit is not None and new.heap_limit is not None and new.heap_limit != now.heap_limit
            ):
                extra.append(
                    f"{c.name}: the JVM sizes its heap from the limit ({now.heap_limit_basis}): with the new "
                    f"{lim} limit its max heap grows from {format_bytes(now.heap_limit)} to "
                    f"{format_bytes(new.heap_limit)}, and so does what the heap alone can fill"
                )
        elif now.runtime == "go" and "GOMEMLIMIT" in names and names["GOMEMLIMIT"].meaning.startswith("soft"):
            value = f"{mib_floor(int(r.limit * GO_MEMLIMIT_SHARE))}MiB"
            now_value = names["GOMEMLIMIT"].value
            extra.append(
                f"{c.name}: GOMEMLIMIT={now_value} does not follow the limit: set it with the new {lim} "
                f"limit, to 90% of it: GOMEMLIMIT={value}"
            )
        elif now.runtime == "go" and any(t.fix is not None for t in now.traps):
            value = f"{mib_floor(int(r.limit * GO_MEMLIMIT_SHARE))}MiB"
            extra.append(
                f"{c.name}: the GOMEMLIMIT fix above is 90% of the current limit; with the new {lim} limit "
                f"set GOMEMLIMIT={value} instead"
            )
        elif now.runtime == "nodejs" and ("--max-old-space-size" in names or now.traps):
            mib = mib_floor(r.limit * recommended_heap_pct(r.limit) // 100)
            old = names["--max-old-space-size"].value if "--max-old-space-size" in names else "the fix above"
            extra.append(
                f"{c.name}: {old} does not follow the limit: with the new {lim} limit, "
                f"--max-old-space-size={mib} ({recommended_heap_pct(r.limit)}% of it)"
            )
    if not extra:
        return rec
    return msgspec.structs.replace(rec, caveats=rec.caveats + tuple(extra))
