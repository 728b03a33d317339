"""What the recommendation is built on: each container's usage, peak and OOM kills, for a pod
and for a workload's template."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kubectl_mem.model.cgroup import CgroupOverlay
from kubectl_mem.model.explain.evidence import PEAK_SOURCE
from kubectl_mem.model.explain.results import Cause, PodExplanation, WorkloadRef
from kubectl_mem.model.explain.sections import container_peaks
from kubectl_mem.model.recommend import ContainerUsageInput, Recommendation
from kubectl_mem.model.views import PodView
from kubectl_mem.model.workloads import WorkloadRow, rollup_one


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
    return rollup_one(
        w.kind,
        namespace,
        w.name,
        targets,
        peaks=peaks or None,
        peak_source=PEAK_SOURCE + " (the highest of the replicas)",
        limit_kills=killed,
        container=container,
    )


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
