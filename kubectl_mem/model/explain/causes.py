"""What ended a pod's containers, from the API's status, events and the kernel's counters.

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
- `no-memory-kill`: nothing above. An exit 137 without OOMKilled is a SIGKILL from elsewhere
  (liveness probe, grace period ended, forced delete, ...); a liveness-probe event names it.

With the node collector (`explain --cgroups`, `model/cgroup/mapping.py`), the kernel's counters are
evidence too. The pod cgroup lives as long as the pod and on cgroup v2 its memory.events are
hierarchical (on v1 its memory.oom_control counts none of its containers' kills), so
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

from collections.abc import Sequence

from kubectl_mem.model.cgroup import Figures
from kubectl_mem.model.explain.evidence import (
    EVENT_TTL_NOTE,
    events_near,
    kernel_source,
    kubelet_quantity,
    parse_time,
    pct,
    plural,
    pod_kernel_evidence,
    status_path,
)
from kubectl_mem.model.explain.results import Cause, Confidence, EventRecord, Evidence
from kubectl_mem.model.history import describe_termination, termination_kind
from kubectl_mem.model.quantity import format_bytes
from kubectl_mem.model.records import Termination
from kubectl_mem.model.views import ContainerView, PodView
from kubectl_mem.model.words import ago


def kernel_cause(pv: PodView, c: ContainerView, cg: Figures | None, pod_limit: int | None) -> Cause | None:
    """OOM kills inside the running container instance that the API never saw: the kernel killed
    one of its processes, not the main one (its cgroup is new with each container instance)."""
    if cg is None or cg.source != "cgroup" or not cg.oom_kills or c.state == "terminated":
        return None
    kills = plural(cg.oom_kills, "process")
    counters = f"{c.name} cgroup {cg.oom_kills_file or 'memory.events'}: oom_kill {cg.oom_kills}" + (
        "" if cg.ooms is None else f", oom {cg.ooms}"
    )
    evidence = [Evidence(counters, kernel_source(cg))]
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
            f"{c.name} reached its {format_bytes(limit)} memory limit {plural(cg.ooms, 'time')} and the "
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


def container_cause(
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
    src = status_path(c, current)
    when = t.finished_at
    when_text = f", {ago(when, now)}" if ago(when, now) else ""
    term_ev = Evidence(f"{c.name}: {describe_termination(t)}{when_text}", src)
    restarts_ev = Evidence(
        f"{c.name} restarted {c.restart_count} times", f"status.containerStatuses[{c.name}]"
    )
    finished = parse_time(when)
    node_oom = events_near(finished, node_events, ("SystemOOM", "OOMKilling"))
    node_oom_ev = tuple(
        Evidence(f'event {e.reason} on node {pv.pod.node}: "{e.message}"', f"events (node/{pv.pod.node})")
        for e in node_oom[:2]
    )
    node = pv.pod.node
    kernel_ev = pod_kernel_evidence(pv, pod_cg)
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
                    f"{c.name} now uses {format_bytes(c.working_set)} = {pct(c.pct_of_limit)} of the limit "
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
                f"the kernel counted {plural(pod_cg.ooms, 'limit OOM')} in this pod, but does not say "
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
        "no-memory-kill",
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


def eviction_cause(pv: PodView, pod_events: Sequence[EventRecord]) -> Cause | None:
    ev = pv.evicted
    if ev is None:
        evicted_events = [e for e in pod_events if e.reason == "Evicted"]
        if not evicted_events:
            return None
        e = evicted_events[-1]
        memory = "resource: memory" in e.message
        return Cause(
            "node-pressure-eviction" if memory else "no-memory-kill",
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
            "no-memory-kill",
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
    available = kubelet_quantity(ev.available)
    return Cause(
        "node-pressure-eviction",
        "certain",
        None,
        f"The kubelet evicted the pod because node {pv.pod.node} ran low on memory (available "
        f"{available}, threshold {kubelet_quantity(ev.threshold)}); {over} used more than requested, "
        "which puts a pod first in line.",
        tuple(evidence),
    )
