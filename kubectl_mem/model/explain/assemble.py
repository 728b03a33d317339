"""`kubectl mem explain`: the story of one pod's (or one workload's) memory, as a typed result.

Pure: the caller fetches (pod, the pods of its node, metrics, node, events) and builds the
snapshot; this module reads the snapshot's views and turns them into a verdict, a cause with its
evidence, the memory picture, QoS / eviction rank / oom_score_adj with their reasons, runtime hints
and a recommendation. Every sentence it produces is built from a value it also returns, so the
report can show the number next to the claim.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from kubectl_mem.model.cgroup import CgroupOverlay, PodCgroup
from kubectl_mem.model.explain.causes import container_cause, eviction_cause, kernel_cause
from kubectl_mem.model.explain.evidence import EVENT_TTL_NOTE, parse_time, pod_kernel_evidence
from kubectl_mem.model.explain.recommendation import (
    container_unreclaimable,
    runtime_caveats,
    usage_inputs,
    workload_row,
)
from kubectl_mem.model.explain.results import (
    CAUSE_ORDER,
    Cause,
    EventRecord,
    Evidence,
    Explanation,
    PodExplanation,
    WorkloadRef,
)
from kubectl_mem.model.explain.sections import (
    cgroup_picture,
    container_peaks,
    container_pictures,
    eviction_section,
    oom_score_section,
    pod_level_limit,
    qos_section,
    runtime_hints,
)
from kubectl_mem.model.explain.verdict import pod_verdict, shared_facts, workload_verdict
from kubectl_mem.model.history import describe_termination
from kubectl_mem.model.recommend import recommend
from kubectl_mem.model.records import Pod
from kubectl_mem.model.views import PodView, Snapshot
from kubectl_mem.model.workloads import figures_of


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
    peaks = container_peaks(cgroups)
    now = snapshot.taken_at
    node = next((n for n in snapshot.nodes if n.node.name == pv.pod.node), None)
    by_key = {p.key: p for p in snapshot.pods}
    pod_limit = pod_level_limit(pv.pod)
    pod_cg = cgroups.figures if cgroups is not None and cgroups.figures.source == "cgroup" else None
    causes: list[Cause] = []
    ev_cause = eviction_cause(pv, pod_events)
    if ev_cause is not None:
        causes.append(ev_cause)
    for c in pv.containers:
        if container and c.name != container:
            continue
        cg = cgroups.container(c.name) if cgroups is not None else None
        cause = container_cause(pv, c, pod_events, node_events, cg, pod_cg, pod_limit, now)
        if cause is not None:
            causes.append(cause)
        kernel = kernel_cause(pv, c, cg, pod_limit)
        if kernel is not None:
            causes.append(kernel)
    causes.sort(
        key=lambda c: (
            -CAUSE_ORDER[c.kind],
            -(parse_time(c.at) or datetime.min.replace(tzinfo=UTC)).timestamp(),
        )
    )
    if causes:
        lead = causes[0]
    else:
        lead = Cause(
            "no-memory-kill",
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
                *pod_kernel_evidence(pv, pod_cg),
            ),
            (f"A kill older than the last restart leaves no trace in the pod status; {EVENT_TTL_NOTE}.",)
            if pod_cg is None
            else (),
        )
    eviction = eviction_section(pv, node, by_key, available_from)
    rec_owner_kind, rec_owner_name = (owner.kind, owner.name) if owner else owner_of(pv.pod)
    rec = recommend(
        pv.pod,
        usage_inputs(pv, causes, peaks, container_unreclaimable(cgroups)),
        owner_kind=rec_owner_kind,
        owner_name=rec_owner_name,
        containers=(container,) if container else (),
    )
    node_memory = node.node.capacity_memory if node is not None and node.node.capacity_memory else None
    rec = runtime_caveats(pv, rec, node_memory)
    pictures = container_pictures(pv, peaks, cgroups)
    if container:
        pictures = tuple(p for p in pictures if p.name == container)
    return PodExplanation(
        namespace=pv.pod.namespace,
        name=pv.pod.name,
        node=pv.pod.node,
        phase=pv.pod.phase,
        verdict=pod_verdict(pv, lead, eviction, now),
        cause=lead,
        other_causes=tuple(causes[1:]),
        containers=pictures,
        qos=qos_section(pv),
        eviction=eviction,
        oom_score=oom_score_section(pv, node),
        runtime=runtime_hints(pv, node, container),
        recommendation=rec,
        risk_level=pv.risk.level,
        risk_score=pv.risk_score,
        cgroup=cgroup_picture(cgroups.figures, pv.limit) if cgroups is not None else None,
        status=pv.status,
        live=pv.live,
        risk_up_to=pv.risk.up_to,
        risk_reasons=pv.risk.reasons,
        working_set=pv.working_set,
        working_set_source=pv.usage_source,
    )


def owner_of(pod: Pod) -> tuple[str, str]:
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
    from kubectl_mem.model.cgroup import available_from

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
    row = workload_row(targets, pods, workload, namespace, container, cgroups)
    assert row.recommendation is not None  # targets is not empty
    rec = row.recommendation.recommendation
    return Explanation(
        namespace=namespace,
        target=target,
        workload=workload,
        verdict=workload_verdict(workload, pods, worst),
        cause=worst.cause,
        pods=tuple(pods),
        worst=worst.name,
        shared=shared_facts(targets, pods),
        recommendation=rec,
        runtime=worst.runtime if worst.runtime else runtime_hints(worst_view, None, container),
        metrics_available=snapshot.metrics_available,
        missing=tuple(dict.fromkeys(missing)),
        taken_at=snapshot.taken_at,
        figures=figures_of(row),
    )
