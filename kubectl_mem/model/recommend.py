"""Memory request and limit for each container, from the usage known, with the reasoning shown.

The rules, in the spirit of the Vertical Pod Autoscaler's recommender
(`kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender`), scaled down to what one look at a
pod can know:

- usage `u` = the highest value known: the working set now (one metrics-server sample), or a peak
  when one is given (e.g. the cgroup's memory.peak from the node collector).
- request = u x 1.15, rounded up to a whole Mi. 15% is VPA's safety margin
  (`--recommendation-margin-fraction`, default 0.15). VPA applies it to a percentile of days of
  samples; here it rests on one sample, and says so.
- limit, after an OOM kill: the memory at the kill is taken to be the limit that killed it (a cgroup
  OOM kill happens at the limit), then bumped like VPA does for OOM samples:
  max(limit + 100Mi, limit x 1.2) (`MinOOMIncrease`, `OOMBumpUpRatio`).
- limit, otherwise: at least max(u x 1.3, u + 100Mi) to leave headroom above the one value seen;
  never lowered below the current limit, because a snapshot cannot show the peaks that may have
  justified it.
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

Basis = Literal["peak", "working_set", "none"]


class ContainerUsageInput(msgspec.Struct, frozen=True, gc=False):
    """What is known about one container's memory, for the recommendation."""

    name: str
    working_set: int | None = None
    peak: int | None = None  # a high-water mark (memory.peak / max_usage) when known
    peak_source: str = ""  # where the peak came from, said next to it
    oom_killed: bool = False  # its last (or current) termination was OOMKilled


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
    changed: bool


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


def mi(n: int) -> str:
    """The exact quantity for commands and YAML (values here are whole Mi): the largest binary
    suffix that divides it, so a recommendation reads `1Gi` as the tables do, not `1024Mi`."""
    return canonical_binary(n // MI * MI)


def oom_bump(at_kill: int) -> int:
    """VPA's OOM rule: max(memory at the kill + 100Mi, memory at the kill x 1.2)."""
    return max(at_kill + OOM_MIN_INCREASE, round_up_mi(at_kill * OOM_BUMP_RATIO))


def recommend_container(
    c: ContainerSpec, u: ContainerUsageInput, *, guaranteed: bool
) -> ContainerRecommendation:
    cur_req = c.resources.memory_request or None
    cur_lim = c.resources.memory_limit or None
    formula: list[str] = []
    usage: int | None = None
    basis: Basis = "none"
    source = "no usage known (no metrics)"
    if u.peak is not None and (u.working_set is None or u.peak >= u.working_set):
        usage, basis = u.peak, "peak"
        source = f"peak {format_bytes(u.peak)}" + (f" ({u.peak_source})" if u.peak_source else "")
    elif u.working_set is not None:
        usage, basis = u.working_set, "working_set"
        source = f"working set {format_bytes(u.working_set)} (one metrics-server sample, now)"

    request = cur_req
    if usage is not None:
        request = round_up_mi(usage * (1 + REQUEST_MARGIN))
        formula.append(
            f"request = usage x 1.15 = {format_bytes(usage)} x 1.15 -> {mi(request)} (rounded up to Mi)"
        )
    limit = cur_lim
    bumped = False
    if u.oom_killed and cur_lim is not None:
        limit = oom_bump(cur_lim)
        bumped = True
        formula.append(
            f"limit = max(limit at the OOM kill + 100Mi, x 1.2) = max({format_bytes(cur_lim)} + 100Mi, "
            f"{format_bytes(cur_lim)} x 1.2) -> {mi(limit)}"
        )
    if usage is not None:
        needed = max(round_up_mi(usage * LIMIT_HEADROOM_RATIO), round_up_mi(usage + LIMIT_HEADROOM_MIN))
        if limit is None or needed > limit:
            formula.append(
                f"limit = max(usage x 1.3, usage + 100Mi) = max({format_bytes(usage)} x 1.3, "
                f"{format_bytes(usage)} + 100Mi) -> {mi(needed)}"
                + ("" if cur_lim is None else f" (above the current {format_bytes(cur_lim)})")
            )
            limit = needed
        elif not bumped and cur_lim is not None:
            formula.append(
                f"limit: keep {format_bytes(cur_lim)} (it covers max(usage x 1.3, usage + 100Mi) = "
                f"{mi(needed)}; one sample is no reason to lower it)"
            )
    if request is not None and limit is not None and request > limit:
        request = limit
        formula.append(f"request capped at the limit: {mi(limit)}")
    if guaranteed and limit is not None and request != limit:
        request = limit
        formula.append(f"request = limit = {mi(limit)} to keep the pod Guaranteed")
    changed = request != cur_req or limit != cur_lim
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
        changed=changed,
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
    by_list: dict[str, list[dict]] = {}
    for r in recs:
        res: dict[str, dict[str, str]] = {}
        if r.request is not None:
            res["requests"] = {"memory": mi(r.request)}
        if r.limit is not None:
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
    recs: list[ContainerRecommendation] = []
    for c in pod.containers:
        if c.kind == "init":
            continue  # a run-to-completion init container: its usage is gone by now
        if containers and c.name not in containers:
            continue
        recs.append(
            recommend_container(c, usages.get(c.name, ContainerUsageInput(c.name)), guaranteed=guaranteed)
        )
    after = _with_resources(pod, {r.container: r for r in recs})
    qos_after, qos_after_why = qos_reason(after)
    caveats: list[str] = []
    if any(r.basis == "working_set" for r in recs):
        caveats.append(
            "Based on one working-set sample: it shows now, not the peaks of the last days. Watch "
            "`kubectl mem top` over a busy period, or use the cgroup peak (--cgroups), before trusting it."
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
                if r.request is not None:
                    parts.append(f"--requests=memory={mi(r.request)}")
                if r.limit is not None:
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
