"""What the recommendation is built on: each container's usage, peak and OOM kills, for a pod
and for a workload's template."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kubectl_mem.model.cgroup import CgroupOverlay
from kubectl_mem.model.explain.evidence import PEAK_SOURCE
from kubectl_mem.model.explain.results import Cause, PodExplanation, WorkloadRef
from kubectl_mem.model.explain.sections import container_peaks
from kubectl_mem.model.recommend import ContainerUsageInput, Recommendation, recommend
from kubectl_mem.model.views import PodView


def usage_inputs(
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


def workload_recommendation(
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
        peaks = container_peaks(cgroups.pod(pv.pod.uid) if cgroups is not None else None)
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
