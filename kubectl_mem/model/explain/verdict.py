"""The verdict: the one paragraph that leads an explanation, for a pod and for a workload."""

from __future__ import annotations

from collections.abc import Sequence

from kubectl_mem.model.explain.evidence import KERNEL_SOURCES, pct
from kubectl_mem.model.explain.results import Cause, EvictionSection, PodExplanation, WorkloadRef
from kubectl_mem.model.explain.sections import pod_level_limit
from kubectl_mem.model.quantity import format_bytes
from kubectl_mem.model.views import RISK_ORDER, PodView
from kubectl_mem.model.words import ago


def node_sentence(ev: EvictionSection | None) -> str:
    """Where the pod stands in its node's eviction order, in the words every view uses."""
    if ev is None or (ev.first is None and not ev.critical):
        return ""
    if ev.node_headroom is not None:
        if ev.node_headroom < 0:
            tail = f", which is {format_bytes(-ev.node_headroom)} past its eviction threshold"
        else:
            tail = f", which has {format_bytes(ev.node_headroom)} left before its eviction threshold"
    elif ev.memory_pressure:
        tail = ", which reports MemoryPressure"
    else:
        tail = " (node headroom unknown)"
    if ev.critical:
        return f"The pod is critical, so the kubelet never evicts it from node {ev.node}{tail}."
    return f"The pod is {ev.words}{tail}."


def judgement_sentences(pv: PodView) -> str:
    """What the snapshot's judgement adds to a cause: STATUS when it is not plain Running, and for
    an ended pod that it is history."""
    if not pv.live:
        return f"The pod has ended ({pv.status}): history, no live risk."
    if pv.status and pv.status != "Running":
        return f"kubectl shows it as {pv.status}."
    return ""


def risk_head(pv: PodView) -> str:
    """No kill or eviction is recorded: the head says the live risk, as `top` rates it."""
    r = pv.risk
    could = f" (it could be {r.up_to}: usage the view does not know decides)" if r.up_to else ""
    if r.reasons[0] == (pv.eviction_risk.reasons[:1] or ("",))[0]:
        # the eviction place leads: the node sentence that follows gives it in full
        return f"No OOM kill or eviction is recorded, but the pod is at {r.level} risk of eviction{could}."
    return f"No OOM kill or eviction is recorded, but the pod is at {r.level} risk: {r.reasons[0]}{could}."


def now_sentence(pv: PodView, cause: Cause) -> str:
    name = cause.container
    views = {c.name: c for c in pv.containers}
    c = views.get(name) if name else None
    if c is None:
        worst = [v for v in pv.containers if v.pct_of_limit is not None]
        c = max(worst, key=lambda v: v.pct_of_limit or 0.0) if worst else None
        if c is None:
            return ""
        return (
            f"Container {c.name} is now at {pct(c.pct_of_limit)} of its {format_bytes(c.limit or 0)} limit "
            f"({format_bytes(c.working_set or 0)})."
        )
    if c.working_set is None:
        if pv.working_set is not None:
            where = "the kubelet's Summary API" if pv.usage_source == "summary" else "metrics.k8s.io"
            return (
                f"{c.name} has no usage figure now ({c.state_reason or c.state}); the pod as a whole uses "
                f"{format_bytes(pv.working_set)} ({where})."
            )
        return "Its usage now is unknown (no metrics, no Summary API figure)."
    if c.limit:
        return f"It is now at {pct(c.pct_of_limit)} of that limit ({format_bytes(c.working_set)})."
    return f"It now uses {format_bytes(c.working_set)}."


def kernel_only(cause: Cause) -> bool:
    """A cause only the kernel's counters show (`kernel_cause`): no termination behind it."""
    return cause.at is None and bool(cause.evidence) and cause.evidence[0].source in KERNEL_SOURCES


def pod_verdict(pv: PodView, cause: Cause, ev: EvictionSection | None, now: str | None) -> str:
    """The cause, the pod now, its place in the eviction order, and the snapshot's judgement:
    never "No memory problem" for a pod `top` rates medium or above."""
    views = {c.name: c for c in pv.containers}
    c = views.get(cause.container or "")
    when = ago(cause.at, now)
    when_text = f", the last {when}" if when else ""
    restarts = f" (restarted {c.restart_count} times{when_text})" if c is not None and c.restart_count else ""
    node_s = node_sentence(ev) if pv.live else ""
    status_s = judgement_sentences(pv)
    now_s = now_sentence(pv, cause) if pv.live else ""

    could_s = ""
    if pv.live and pv.risk.up_to is not None:
        could_s = f"Its risk could be up to {pv.risk.up_to}: usage the view does not know decides."

    def join(*parts: str) -> str:
        return " ".join(s for s in (*parts, status_s, node_s) if s)

    if kernel_only(cause) and c is not None:
        return join(cause.summary, now_s)
    if cause.kind == "container-oom-kill" and c is not None:
        limit = c.limit or pod_level_limit(pv.pod) or 0
        return join(
            f"Container {c.name} was OOM-killed by its {format_bytes(limit)} memory limit{restarts}.", now_s
        )
    if cause.kind == "node-oom-kill" and c is not None:
        own = f"its {format_bytes(c.limit)} limit" if c.limit else "no limit of its own"
        head = (
            f"Container {c.name} was killed by a node-level OOM{restarts}: node {pv.pod.node} ran out of "
            f"memory (the container has {own})."
        )
        return join(head, now_s)
    if cause.kind == "node-pressure-eviction":
        return join(cause.summary)
    # no OOM kill and no memory eviction recorded
    if pv.evicted is not None:
        return join(cause.summary)
    at_risk = pv.live and RISK_ORDER[pv.risk.level] >= RISK_ORDER["medium"] and pv.risk.reasons
    if cause.container is not None and c is not None:
        if at_risk:
            return join(cause.summary, risk_head(pv))
        return join(cause.summary, now_sentence(pv, Cause("no-memory-kill", "possible", None, "")), could_s)
    if at_risk:
        return join(risk_head(pv))
    if pv.working_set is None:
        head = "No OOM kill or eviction is recorded for this pod; its current usage is unknown (no metrics)."
        return join(head, could_s)
    worst = max(
        (v for v in pv.containers if v.pct_of_limit is not None),
        key=lambda v: v.pct_of_limit or 0.0,
        default=None,
    )
    if worst is not None:
        head = (
            f"No memory problem: no OOM kill or eviction is recorded, and the container closest to its "
            f"limit, {worst.name}, uses {format_bytes(worst.working_set or 0)} = "
            f"{pct(worst.pct_of_limit)} of {format_bytes(worst.limit or 0)}."
        )
    else:
        head = (
            f"No memory problem recorded: no OOM kill or eviction; the pod uses "
            f"{format_bytes(pv.working_set)} and sets no memory limit."
        )
    return join(head, could_s)


def workload_verdict(w: WorkloadRef, pods: Sequence[PodExplanation], worst: PodExplanation) -> str:
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
        head = f"{name}: no OOM kill or memory eviction recorded in its {n} pod{'s' if n != 1 else ''}."
    return f"{head} Worst: {worst.name}. {worst.verdict}"


def shared_facts(targets: Sequence[PodView], pods: Sequence[PodExplanation]) -> tuple[str, ...]:
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
