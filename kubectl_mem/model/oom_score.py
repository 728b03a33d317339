"""oom_score_adj the kubelet gives each container: who the kernel kills first when the *node*
runs out of memory.

Source: `pkg/kubelet/qos/policy.go GetContainerOOMScoreAdjust` and `helpers.go`
(`minRegularContainerMemory`, `remainingPodMemReqPerContainer`); reference §3.

- node-critical pods (critical and priorityClassName system-node-critical): -997
- Guaranteed: -997; BestEffort: 1000
- Burstable: 1000 - 1000*request/capacity (int64 division); with pod-level memory requests each
  container also gets an equal share of the pod request not claimed by containers; a sidecar is
  capped at the score of the smallest regular container; then clamped to [3, 999].
- capacity is the machine's memory (MemTotal, i.e. node capacity), not allocatable.

The newer, gated `KubeletOOMScoreAdjTieBreak` nudge (a few points) is not applied.
When the node's capacity is unknown (0), a Burstable container gets 999, the upper bound.
"""

from __future__ import annotations

from kubectl_mem.model.eviction import is_critical
from kubectl_mem.model.records import ContainerSpec, Pod
from kubectl_mem.model.requests import aggregate_container_requests

GUARANTEED_OOM_SCORE_ADJ = -997
BEST_EFFORT_OOM_SCORE_ADJ = 1000
KUBELET_OOM_SCORE_ADJ = -999
SYSTEM_NODE_CRITICAL = "system-node-critical"


def _div(a: int, b: int) -> int:
    """Go int64 division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _clamp(adj: int) -> int:
    if adj < 1000 + GUARANTEED_OOM_SCORE_ADJ:
        return 1000 + GUARANTEED_OOM_SCORE_ADJ  # burstable never below a Guaranteed pod's range
    if adj == BEST_EFFORT_OOM_SCORE_ADJ:
        return adj - 1  # burstable survives before best effort
    return adj


def is_node_critical(pod: Pod, priority: int) -> bool:
    """`IsNodeCriticalPod`: critical and of the system-node-critical priority class."""
    return is_critical(pod, priority) and pod.priority_class_name == SYSTEM_NODE_CRITICAL


def pod_oom_score_adjs(
    pod: Pod,
    memory_capacity: int,
    *,
    qos_class: str,
    priority: int,
    pod_level_resources: bool = True,
) -> dict[str, int]:
    """oom_score_adj of every container of the pod, by container name."""
    if is_node_critical(pod, priority) or qos_class == "Guaranteed":
        return {c.name: GUARANTEED_OOM_SCORE_ADJ for c in pod.containers}
    if qos_class == "BestEffort":
        return {c.name: BEST_EFFORT_OOM_SCORE_ADJ for c in pod.containers}
    if memory_capacity <= 0:
        return {c.name: BEST_EFFORT_OOM_SCORE_ADJ - 1 for c in pod.containers}
    pr = pod.pod_resources
    remaining = 0
    if pod_level_resources and pr is not None and pr.memory_request:
        # IsPodLevelRequestsSet: remainingPodMemReqPerContainer shares the pod request not claimed
        # by containers over containers + init containers (int64 division). A zero pod-level
        # memory request gives 0, which is the plain formula.
        remaining = _div(pr.memory_request - aggregate_container_requests(pod), len(pod.containers))
    regular = [c.resources.memory_request or 0 for c in pod.containers if c.kind == "regular"]
    min_regular = min(regular) if regular else 0
    out: dict[str, int] = {}
    for c in pod.containers:
        out[c.name] = container_oom_score_adj_burstable(
            c, memory_capacity, remaining=remaining, min_regular_request=min_regular
        )
    return out


def container_oom_score_adj_burstable(
    c: ContainerSpec, memory_capacity: int, *, remaining: int = 0, min_regular_request: int = 0
) -> int:
    """The Burstable formula for one container (see module docstring)."""
    request = c.resources.memory_request or 0
    adj = 1000 - _div(1000 * (request + remaining), memory_capacity)
    if c.kind == "sidecar":
        cap = 1000 - _div(1000 * (min_regular_request + remaining), memory_capacity)
        adj = min(adj, cap)
    return _clamp(adj)


def container_oom_score_adj(
    pod: Pod,
    container: ContainerSpec,
    memory_capacity: int,
    *,
    qos_class: str,
    priority: int,
    pod_level_resources: bool = True,
) -> int:
    """`GetContainerOOMScoreAdjust(pod, container, memoryCapacity)`."""
    scores = pod_oom_score_adjs(
        pod, memory_capacity, qos_class=qos_class, priority=priority, pod_level_resources=pod_level_resources
    )
    return scores[container.name]
