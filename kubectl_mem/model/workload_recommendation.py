"""The recommendation for a workload's pod template, from its replicas, and what it rests on.

Built by the rules of model/recommend.py (VPA's margins and OOM bump), fed with the highest usage
of each container across the active replicas: their working sets now, the highest working set of
the samples the interactive view took while open, the kernel's memory.peak (--cgroups). Shared by
`kubectl mem workloads`, `:workloads` and `explain deploy|sts|ds/x` (model/workloads.rollup_one).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import msgspec

from kubectl_mem.model.eviction import is_active
from kubectl_mem.model.recommend import ContainerUsageInput, Recommendation, recommend
from kubectl_mem.model.views import PodView


class WorkloadRecommendation(msgspec.Struct, frozen=True, gc=False):
    recommendation: Recommendation  # per container, with the command
    # request freed across the active replicas if applied (negative: more is needed);
    # None when no usage is known to base it on
    saving: int | None
    samples: int  # working-set samples per replica it rests on
    history: str  # how much history that is, in words


def _history(samples: int, peaks: bool, measured: int) -> str:
    if not measured:
        return "no usage known for any replica (no metrics): nothing to base a request on"
    replicas = f"{measured} replica{'s' if measured != 1 else ''}"
    if peaks:
        return f"the kernel's memory.peak of {replicas} (since each container started)"
    if samples <= 1:
        return (
            f"one working-set sample (now) of {replicas}: it shows this moment, not the peaks of the last "
            "days; watch it over a busy period (the interactive view's :workloads) before trusting it"
        )
    return (
        f"up to {samples} working-set samples of each of {replicas}, taken while the view was open "
        "(the highest counts); a longer watch over a busy period shows more"
    )


def workload_recommendation(
    pods: Sequence[PodView],
    kind: str,
    name: str,
    *,
    container: str | None = None,
    peaks: Mapping[tuple[str, str], int] | None = None,
    peak_source: str = "",
    highest: Mapping[tuple[str, str], int] | None = None,
    samples: int = 1,
    limit_kills: Collection[str] | None = None,
    active: Sequence[PodView] | None = None,
    unreclaimable: Mapping[tuple[str, str], int] | None = None,
) -> WorkloadRecommendation | None:
    """One recommendation for the workload's pod template, from its replicas.

    Per container, the highest usage across the active replicas: their working sets now, the
    highest working set seen over `samples` samples (`highest`, by (pod uid, container)), and the
    kernel's peak when collected (`peaks`, same keys). A container whose limit OOM-killed it in any
    replica (finished pods included) gets VPA's OOM bump: `limit_kills` names those containers
    when the caller knows better (explain, from its events), else each container's last
    termination decides. `unreclaimable` (same keys, --cgroups): what the kernel cannot reclaim,
    which sizes the limit where known (memory.peak counts page cache). None when the workload has
    no pods.
    """
    if not pods:
        return None
    if active is None:  # the pods on a node and not finished (rollup_one has them already)
        active = [pv for pv in pods if is_active(pv.pod)]
    # the newest pod carries the current template (a rollout in progress leaves older ones)
    template = max(active or pods, key=lambda pv: (pv.pod.created or "", pv.pod.name)).pod
    session = highest if highest is not None and samples > 1 else None
    ws: dict[str, int] = {}  # the highest working set now
    unrecl: dict[str, int] = {}  # the highest the kernel cannot reclaim
    peak: dict[str, tuple[int, str]] = {}  # the highest peak known, and where it comes from
    measured = 0
    seen_source = f"the highest working set in up to {samples} samples taken while the view was open"
    for pv in active:
        if pv.working_set is not None:
            measured += 1
        for c in pv.containers:
            if c.working_set is not None and c.working_set > ws.get(c.name, -1):
                ws[c.name] = c.working_set
            u = unreclaimable.get((pv.pod.uid, c.name)) if unreclaimable is not None else None
            if u is not None and u > unrecl.get(c.name, -1):
                unrecl[c.name] = u
            seen = session.get((pv.pod.uid, c.name)) if session is not None else None
            if seen is not None and c.working_set is not None:
                # the samples include now (kept to the KiB): their highest is never below it
                seen = max(seen, c.working_set)
            for found, source in (
                (seen, seen_source),
                (peaks.get((pv.pod.uid, c.name)) if peaks is not None else None, peak_source),
            ):
                if found is not None and found > peak.get(c.name, (-1, ""))[0]:
                    peak[c.name] = (found, source)
    if limit_kills is None:
        killed = {c.name for pv in pods for c in pv.containers if c.oom_killed and c.limit is not None}
    else:
        killed = set(limit_kills)
    usages = {
        c.name: ContainerUsageInput(
            c.name,
            working_set=ws.get(c.name),
            peak=peak[c.name][0] if c.name in peak else None,
            peak_source=peak[c.name][1] if c.name in peak else "",
            oom_killed=c.name in killed,
            unreclaimable=unrecl.get(c.name),
            # memory.peak counts page cache: it does not size a limit (the session's highest working set does)
            peak_is_cgroup=c.name in peak and peaks is not None and peak[c.name][1] == peak_source,
        )
        for c in template.containers
    }
    rec = recommend(
        template, usages, owner_kind=kind, owner_name=name, containers=(container,) if container else ()
    )
    saving: int | None = None
    by_name = {r.container: r for r in rec.containers}
    if any(r.basis != "none" for r in rec.containers):
        saving = 0
        for pv in active:
            for c in pv.containers:
                r = by_name.get(c.name)
                if r is None or r.basis == "none" or r.request is None:
                    continue
                saving += (c.request or 0) - r.request
    cgroup_peaks = peaks is not None and any(src == peak_source for _, src in peak.values())
    return WorkloadRecommendation(rec, saving, max(samples, 1), _history(samples, cgroup_peaks, measured))
