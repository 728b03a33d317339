"""Pod QoS class, as the API server computes it.

Source: `kubernetes/kubernetes pkg/apis/core/v1/helper/qos/qos.go` (`GetPodQOS`, `ComputePodQOS`,
`collectPodLevelResources`, `collectContainerLevelResources`); reference §1.2.

- Only cpu and memory count; quantities equal to 0 count as absent.
- Container branch: requests and limits are summed over containers *and* init containers
  (sidecars included, ephemeral containers never); Guaranteed also needs every one of them to
  carry a cpu and a memory limit > 0.
- Pod-level branch (gate `PodLevelResources`, beta and on from 1.34): only `spec.resources` counts.
  With `PodLevelResourcesFixKubeletQOSClass` (on from 1.36) an empty `spec.resources` falls back to
  the container branch instead of yielding BestEffort.
- Quantities are compared exactly (`Quantity.Cmp`): `1.2Gi` is not `1288490189`, although both
  round up to the same byte count (`Resources.exact_*`).
- Requests are *not* defaulted from limits here: the API server does that before QoS is computed
  (`SetDefaults_Pod`), so records read from the API already carry them.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from kubectl_mem.model.records import Pod

QOSClass = Literal["Guaranteed", "Burstable", "BestEffort"]
GUARANTEED: QOSClass = "Guaranteed"
BURSTABLE: QOSClass = "Burstable"
BEST_EFFORT: QOSClass = "BestEffort"


def _positive(v: Fraction | int | None) -> bool:
    return v is not None and v > 0


def compute_qos(
    pod: Pod,
    *,
    pod_level_resources: bool = True,
    fix_kubelet_qos_class: bool = True,
) -> QOSClass:
    """`ComputePodQOS`: the class from the spec alone (status.qosClass ignored).

    The keyword arguments are the feature gates, defaulting to the newest release's values.
    """
    requests: dict[str, Fraction | int] = {}
    limits: dict[str, Fraction | int] = {}
    guaranteed = True
    pr = pod.pod_resources
    if pod_level_resources and pr is not None and (not fix_kubelet_qos_class or pr.any_set):
        # collectPodLevelResources: container resources are ignored entirely
        cpu_req, mem_req = pr.exact_cpu_request, pr.exact_memory_request
        cpu_lim, mem_lim = pr.exact_cpu_limit, pr.exact_memory_limit
        if _positive(cpu_req):
            requests["cpu"] = cpu_req or 0
        if _positive(mem_req):
            requests["memory"] = mem_req or 0
        if cpu_lim is not None or mem_lim is not None:  # limits map non-empty
            if _positive(cpu_lim):
                limits["cpu"] = cpu_lim or 0
            if _positive(mem_lim):
                limits["memory"] = mem_lim or 0
            if "cpu" not in limits or "memory" not in limits:
                guaranteed = False
    else:
        # collectContainerLevelResources: containers + init containers (sidecars are init containers)
        for c in pod.containers:
            r = c.resources
            cpu_req, mem_req = r.exact_cpu_request, r.exact_memory_request
            cpu_lim, mem_lim = r.exact_cpu_limit, r.exact_memory_limit
            if _positive(cpu_req):
                requests["cpu"] = requests.get("cpu", 0) + (cpu_req or 0)
            if _positive(mem_req):
                requests["memory"] = requests.get("memory", 0) + (mem_req or 0)
            has_cpu_limit = _positive(cpu_lim)
            has_mem_limit = _positive(mem_lim)
            if has_cpu_limit:
                limits["cpu"] = limits.get("cpu", 0) + (cpu_lim or 0)
            if has_mem_limit:
                limits["memory"] = limits.get("memory", 0) + (mem_lim or 0)
            if not (has_cpu_limit and has_mem_limit):
                guaranteed = False
    if not requests and not limits:
        return BEST_EFFORT
    if guaranteed and any(limits.get(name) != value for name, value in requests.items()):
        guaranteed = False
    if guaranteed and len(requests) == len(limits):
        return GUARANTEED
    return BURSTABLE


def effective_qos(pod: Pod) -> tuple[QOSClass, bool]:
    """`GetPodQOS`: status.qosClass when the server set it, else computed.

    Returns (class, computed) where computed is True when the model had to compute it. The server's
    value wins because it is fixed at creation (in-place resize never changes it).
    """
    if pod.qos_class in (GUARANTEED, BURSTABLE, BEST_EFFORT):
        return pod.qos_class, False  # type: ignore[return-value]
    return compute_qos(pod), True
