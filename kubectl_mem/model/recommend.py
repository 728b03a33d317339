"""Memory request and limit for each container, from the usage known, with the reasoning shown.

The rules, in the spirit of the Vertical Pod Autoscaler's recommender
(`kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender`), scaled down to what one look at a
pod can know:

- request = working set x 1.15: the working set is what the kubelet compares with the request when it
  ranks pods for eviction. 15% is VPA's safety margin (`--recommendation-margin-fraction`). VPA applies
  it to a percentile of days of samples; here it rests on one sample (or the usage the kubelet wrote in
  an eviction message), and says so with its uncertainty.
- limit, with the kernel's figures (`--cgroups`): sized from what the kernel cannot reclaim (anon,
  shmem, unreclaimable kernel memory) plus a margin, max(x 1.3, + 100Mi). The cgroup's peak includes
  page cache, which fills any free room and is dropped before an OOM kill: a peak at the limit is no
  reason to raise it.
- limit, after an OOM kill by the limit: the memory at the kill is taken to be the limit that killed it,
  then bumped like VPA does for OOM samples: max(limit + 100Mi, limit x 1.2) (`MinOOMIncrease`,
  `OOMBumpUpRatio`).
- limit, otherwise: at least max(usage x 1.3, usage + 100Mi) above the one value seen; never lowered,
  because a snapshot cannot show the peaks that may have justified it; and for a node-critical pod
  (system-node-critical, a DaemonSet the node needs) not set from one sample at all.
- values rounded up to a step: 8Mi up to 1Gi, 64Mi above (1280Mi, not 1229Mi); the arithmetic shows the
  exact inputs it used; an unchanged value is neither shown as a change nor put into the command.
- request never above the limit. A Guaranteed pod keeps request = limit, so it stays Guaranteed.
- The QoS class after the change is recomputed with the API server's rules (`qos.compute_qos`),
  with requests defaulted from limits as the API server does for pods.
"""

from __future__ import annotations

import json
import math
from typing import Literal

import msgspec

from kubectl_mem.model.qos import compute_qos, effective_qos
from kubectl_mem.model.quantity import canonical_binary, format_bytes
from kubectl_mem.model.records import ContainerSpec, Pod, Resources

MI = 1 << 20
REQUEST_MARGIN = 0.15
OOM_MIN_INCREASE = 100 * MI
OOM_BUMP_RATIO = 1.2
LIMIT_HEADROOM_RATIO = 1.3
LIMIT_HEADROOM_MIN = 100 * MI
GI = 1 << 30
STEP_SMALL = 8 * MI  # up to 1Gi
STEP_LARGE = 64 * MI  # above

Basis = Literal["unreclaimable", "peak", "working_set", "oom-kill", "none"]


class ContainerUsageInput(msgspec.Struct, frozen=True, gc=False):
    """What is known about one container's memory, for the recommendation."""

    name: str
    working_set: int | None = None
    peak: int | None = None  # a high-water mark (memory.peak / max_usage) when known
    peak_source: str = ""  # where the peak came from, said next to it
    oom_killed: bool = False  # its last (or current) termination was OOMKilled
    unreclaimable: int | None = None  # the cgroup's memory the kernel cannot reclaim (--cgroups)
    peak_is_cgroup: bool = False  # the peak is memory.peak: page cache included


class ContainerRecommendation(msgspec.Struct, frozen=True, gc=False):
    container: str
    kind: str
    basis: Basis
    usage: int | None  # the usage the numbers are built on (bytes)
    usage_source: str
    current_request: int | None
    current_limit: int | None
    request: int | None  # recommended; None when nothing is known to base it on
    limit: int | None
    oom_bump: bool  # the limit was bumped after an OOM kill
    formula: tuple[str, ...]  # the arithmetic, one line per value
    changed: bool  # request_changed or limit_changed
    request_changed: bool = False
    limit_changed: bool = False
    limit_basis: Basis = "none"  # what the limit rests on (unreclaimable with --cgroups)


class Recommendation(msgspec.Struct, frozen=True, gc=False):
    containers: tuple[ContainerRecommendation, ...]
    qos_before: str
    qos_after: str
    qos_after_why: str
    target: str  # "deployment/api", "pod/x", ...
    command: str  # ready to paste; "" when nothing changes
    command_kind: Literal["set-resources", "patch", "resize", "none"]
    caveats: tuple[str, ...]


def round_up_mi(n: float) -> int:
    return int(math.ceil(n / MI)) * MI


def round_step(n: float) -> int:
    """Rounded up to 8Mi up to 1Gi, to 64Mi above: values a person would write."""
    step = STEP_SMALL if n <= GI else STEP_LARGE
    return int(math.ceil(n / step)) * step


def mi(n: int) -> str:
    """The exact quantity for commands and YAML (values here are whole Mi): the largest binary
    suffix that divides it, so a recommendation reads `1Gi` as the tables do, not `1024Mi`."""
    return canonical_binary(n // MI * MI)


def q(n: float) -> str:
    """A value of the arithmetic as it was used: whole Mi exactly (3035Mi, 1Gi; never "3Gi" for
    3035Mi), else to 0.1Mi (805Mi x 1.15 = 925.8Mi)."""
    m = n / MI
    if abs(m - round(m)) < 1e-6:
        return canonical_binary(round(m) * MI)
    return f"{m:.1f}Mi"


def oom_bump(at_kill: int) -> int:
    """VPA's OOM rule: max(memory at the kill + 100Mi, memory at the kill x 1.2), rounded to a step."""
    return round_step(max(at_kill + OOM_MIN_INCREASE, at_kill * OOM_BUMP_RATIO))


def _headroom(usage: int) -> tuple[float, str]:
    """max(usage x 1.3, usage + 100Mi), and the arithmetic with the values it used."""
    a, b = usage * LIMIT_HEADROOM_RATIO, usage + LIMIT_HEADROOM_MIN
    return max(a, b), f"max({q(usage)} x 1.3 = {q(a)}, {q(usage)} + 100Mi = {q(b)}) = {q(max(a, b))}"


def recommend_container(
    c: ContainerSpec, u: ContainerUsageInput, *, guaranteed: bool, node_critical: bool = False
) -> ContainerRecommendation:
    cur_req = c.resources.memory_request or None
    cur_lim = c.resources.memory_limit or None
    formula: list[str] = []

    # request: from the working set, what eviction compares with it (else the usage the kubelet wrote)
    basis: Basis = "none"
    usage: int | None = None
    source = "no usage known (no metrics)"
    if u.peak is not None and not u.peak_is_cgroup and (u.working_set is None or u.peak >= u.working_set):
        # the highest working set seen, now included (the view's samples; the usage in the kubelet's
        # eviction message): it rests on more than this moment even when now is the highest
        usage, basis = u.peak, "peak"
        source = f"{q(u.peak)}" + (f" ({u.peak_source})" if u.peak_source else "")
    elif u.working_set is not None:
        usage, basis = u.working_set, "working_set"
        source = f"working set {q(u.working_set)} (one sample, now: a busy hour may be well above it)"
    request = cur_req
    if usage is not None:
        request = round_step(usage * (1 + REQUEST_MARGIN))
        formula.append(
            f"request = usage x 1.15 = {q(usage)} x 1.15 = {q(usage * (1 + REQUEST_MARGIN))} -> "
            f"{mi(request)} (rounded up to a step)"
        )

    # limit
    limit = cur_lim
    bumped = False
    limit_basis: Basis = "none"
    if u.oom_killed and cur_lim is not None:
        limit = oom_bump(cur_lim)
        bumped = True
        limit_basis = "oom-kill"
        a, b = cur_lim + OOM_MIN_INCREASE, cur_lim * OOM_BUMP_RATIO
        formula.append(
            f"limit = max(limit at the OOM kill + 100Mi, x 1.2) = max({q(cur_lim)} + 100Mi = {q(a)}, "
            f"{q(cur_lim)} x 1.2 = {q(b)}) -> {mi(limit)} (rounded up to a step)"
        )
    sized_from: int | None = None
    if bumped:
        pass  # the kill says more than any usage seen since
    elif u.unreclaimable is not None:
        sized_from, limit_basis = u.unreclaimable, "unreclaimable"
        what = f"what the kernel cannot reclaim, {q(u.unreclaimable)}"
    elif u.peak is not None and (u.working_set is None or u.peak >= u.working_set) and not u.peak_is_cgroup:
        sized_from, limit_basis = u.peak, "peak"
        what = f"the usage {q(u.peak)}"
    elif u.working_set is not None:
        sized_from, limit_basis = u.working_set, "working_set"
        what = f"the working set {q(u.working_set)}"
    if sized_from is not None:
        needed, arithmetic = _headroom(sized_from)
        one_sample = limit_basis == "working_set"
        if node_critical and one_sample:
            formula.append(
                f"limit: keep {q(cur_lim) if cur_lim else 'none'}: a node-critical pod (the node needs it) "
                "is not given a limit from one sample; watch it over a busy period (kubectl mem top) first"
            )
        elif limit is None or needed > limit:
            new = round_step(needed)
            formula.append(
                f"limit = max(x 1.3, + 100Mi) of {what} = {arithmetic} -> {mi(new)} (rounded up to a step)"
                + ("" if cur_lim is None else f", above the current {q(cur_lim)}")
            )
            limit = new
        elif cur_lim is not None:
            keep = f"limit: keep {q(cur_lim)}: it covers max(x 1.3, + 100Mi) of {what} = {q(needed)}"
            if limit_basis == "unreclaimable" and u.peak is not None and u.peak >= cur_lim * 0.98:
                keep += (
                    f". The peak {q(u.peak)} reached the limit because page cache fills free room; the "
                    "kernel reclaims it before an OOM kill"
                )
            elif one_sample:
                keep += "; one sample is no reason to lower it"
            formula.append(keep)
    if request is not None and limit is not None and request > limit:
        request = limit
        formula.append(f"request capped at the limit: {mi(limit)}")
    if guaranteed and limit is not None and request != limit:
        request = limit
        formula.append(f"request = limit = {mi(limit)} to keep the pod Guaranteed")
    request_changed, limit_changed = request != cur_req, limit != cur_lim
    return ContainerRecommendation(
        container=c.name,
        kind=c.kind,
        basis=basis,
        usage=usage,
        usage_source=source,
        current_request=cur_req,
        current_limit=cur_lim,
        request=request,
        limit=limit,
        oom_bump=bumped,
        formula=tuple(formula),
        changed=request_changed or limit_changed,
        request_changed=request_changed,
        limit_changed=limit_changed,
        limit_basis=limit_basis,
    )


def _defaulted(r: Resources) -> Resources:
    """SetDefaults_Pod: a missing request takes the limit's value (exactly)."""
    if r.memory_request is None:
        r = msgspec.structs.replace(
            r, memory_request=r.memory_limit, memory_request_exact=r.memory_limit_exact
        )
    if r.cpu_request_m is None:
        r = msgspec.structs.replace(r, cpu_request_m=r.cpu_limit_m, cpu_request_exact=r.cpu_limit_exact)
    return r


def qos_reason(pod: Pod) -> tuple[str, str]:
    """(class, why) from the spec, naming the containers and values that decide it."""
    cls = compute_qos(pod)
    pr = pod.pod_resources
    if pr is not None and pr.any_set:
        return cls, "Pod-level resources (spec.resources) decide the class; container values are ignored"
    parts: list[str] = []
    if cls == "BestEffort":
        return cls, "No container sets any cpu or memory request or limit"
    if cls == "Guaranteed":
        return cls, "Every container sets cpu and memory limits equal to its requests"
    for c in pod.containers:
        r = c.resources
        missing = [n for n, v in (("cpu limit", r.cpu_limit_m), ("memory limit", r.memory_limit)) if not v]
        if missing:
            parts.append(f"container {c.name} has no {' or '.join(missing)}")
        else:
            if r.memory_request and r.exact_memory_request != r.exact_memory_limit:
                parts.append(
                    f"container {c.name} requests {format_bytes(r.memory_request)} memory but its limit is "
                    f"{format_bytes(r.memory_limit or 0)}"
                )
            if r.cpu_request_m and r.exact_cpu_request != r.exact_cpu_limit:
                parts.append(
                    f"container {c.name} requests {r.cpu_request_m}m cpu but its limit is {r.cpu_limit_m}m"
                )
    why = "; ".join(parts) if parts else "requests and limits differ in total"
    return cls, f"{why[:1].upper()}{why[1:]} (Guaranteed needs cpu and memory limits = requests everywhere)"


def _with_resources(pod: Pod, recs: dict[str, ContainerRecommendation]) -> Pod:
    containers = []
    for c in pod.containers:
        r = c.resources
        rec = recs.get(c.name)
        if rec is not None and rec.changed:
            r = msgspec.structs.replace(
                r,
                memory_request=rec.request,
                memory_limit=rec.limit,
                memory_request_exact=None,  # the recommended values are whole
                memory_limit_exact=None,
                any_set=True,
            )
        containers.append(msgspec.structs.replace(c, resources=_defaulted(r)))
    return msgspec.structs.replace(pod, containers=tuple(containers), qos_class="")


def _patch(recs: list[ContainerRecommendation], template_path: tuple[str, ...]) -> str:
    """A strategic merge patch of the changed values only."""
    by_list: dict[str, list[dict]] = {}
    for r in recs:
        res: dict[str, dict[str, str]] = {}
        if r.request is not None and r.request_changed:
            res["requests"] = {"memory": mi(r.request)}
        if r.limit is not None and r.limit_changed:
            res["limits"] = {"memory": mi(r.limit)}
        key = "containers" if r.kind == "regular" else "initContainers"
        by_list.setdefault(key, []).append({"name": r.container, "resources": res})
    body: dict = dict(by_list)
    for key in reversed(template_path):
        body = {key: body}
    return json.dumps(body, separators=(",", ":"))


SET_RESOURCES_KINDS = {
    "Deployment": "deployment",
    "StatefulSet": "statefulset",
    "DaemonSet": "daemonset",
    "ReplicaSet": "replicaset",
    "CronJob": "cronjob",  # kubectl set resources edits spec.jobTemplate.spec.template (polymorphichelpers)
}


def recommend(
    pod: Pod,
    usages: dict[str, ContainerUsageInput],
    *,
    owner_kind: str = "",
    owner_name: str = "",
    containers: tuple[str, ...] = (),
) -> Recommendation:
    """The recommendation for `pod` (or the workload that owns it: `owner_kind`/`owner_name`,
    e.g. Deployment/api). `containers` narrows it to those names (`-c`)."""
    qos_before, _ = effective_qos(pod)
    guaranteed = qos_before == "Guaranteed"
    # IsNodeCriticalPod: a system-node-critical pod is critical by its priority (2000001000)
    node_critical = pod.priority_class_name == "system-node-critical"
    recs: list[ContainerRecommendation] = []
    for c in pod.containers:
        if c.kind == "init":
            continue  # a run-to-completion init container: its usage is gone by now
        if containers and c.name not in containers:
            continue
        recs.append(
            recommend_container(
                c,
                usages.get(c.name, ContainerUsageInput(c.name)),
                guaranteed=guaranteed,
                node_critical=node_critical,
            )
        )
    after = _with_resources(pod, {r.container: r for r in recs})
    qos_after, qos_after_why = qos_reason(after)
    caveats: list[str] = []
    if any(r.basis == "working_set" for r in recs):
        caveats.append(
            "Based on one working-set sample, taken now: one sample says nothing of how far busy hours go "
            "above it. Watch `kubectl mem top` over a busy period, or read the kernel's figures "
            "(--cgroups), before trusting it."
        )
    if any(r.limit_basis == "unreclaimable" for r in recs):
        caveats.append(
            "Limits are sized from what the kernel cannot reclaim (anon, shmem, kernel memory), not from the "
            "cgroup's peak: page cache fills free room up to the limit and is dropped before an OOM kill."
        )
    if any(r.basis == "none" for r in recs):
        caveats.append("No usage known for some containers (no metrics): their values are unchanged.")
    if any(r.oom_bump for r in recs):
        caveats.append(
            "After an OOM kill the usage at the kill is taken to be the old limit; the real demand may be "
            "higher still, so check again after the change."
        )
    if pod.pod_resources is not None and pod.pod_resources.any_set:
        caveats.append(
            "The pod sets pod-level resources (spec.resources); they bound the pod as a whole and decide "
            "its QoS class, so change them too."
        )
    changed = [r for r in recs if r.changed]
    ns = pod.namespace
    target = f"pod/{pod.name}"
    command, kind = "", "none"
    workload = SET_RESOURCES_KINDS.get(owner_kind)
    if owner_kind and owner_name:
        target = f"{(workload or owner_kind.lower())}/{owner_name}"
    if changed:
        if workload and all(r.kind == "regular" for r in changed):
            lines = []
            for r in changed:
                parts = [f"kubectl set resources {target} -n {ns} -c={r.container}"]
                if r.request is not None and r.request_changed:
                    parts.append(f"--requests=memory={mi(r.request)}")
                if r.limit is not None and r.limit_changed:
                    parts.append(f"--limits=memory={mi(r.limit)}")
                lines.append(" ".join(parts))
            command, kind = "\n".join(lines), "set-resources"
        elif owner_kind == "Job":
            caveats.append(
                "A Job's pod template cannot be changed: put these values in the CronJob that creates it "
                "(kubectl patch cronjob/NAME --type=strategic -p "
                f"'{_patch(changed, ('spec', 'jobTemplate', 'spec', 'template', 'spec'))}'), or in the Job's "
                "manifest before creating it again."
            )
        elif owner_kind and owner_name:
            path = {"CronJob": ("spec", "jobTemplate", "spec", "template", "spec")}.get(
                owner_kind, ("spec", "template", "spec")
            )
            command = f"kubectl patch {target} -n {ns} --type=strategic -p '{_patch(changed, path)}'"
            kind = "patch"
        else:
            command = (
                f"kubectl patch pod/{pod.name} -n {ns} --subresource resize -p '{_patch(changed, ('spec',))}'"
            )
            kind = "resize"
            caveats.append(
                "A bare pod's resources change in place only through the resize subresource (in-place "
                "resize, beta and on from Kubernetes 1.33; the QoS class cannot change and lowering a "
                "memory limit may be refused). Otherwise recreate the pod from a manifest with these values."
            )
    if qos_after != qos_before and kind == "resize":
        caveats.append(f"In-place resize keeps the {qos_before} class; {qos_after} needs a new pod.")
    return Recommendation(
        containers=tuple(recs),
        qos_before=qos_before,
        qos_after=qos_after,
        qos_after_why=qos_after_why,
        target=target,
        command=command,
        command_kind=kind,  # type: ignore[arg-type]
        caveats=tuple(caveats),
    )
