"""A pod's memory request and limit as the kubelet computes them.

Sources (reference §2.3 and §5.3):
- `pkg/api/v1/resource/helpers.go GetResourceRequestQuantity` — the request used to rank pods for
  eviction: pod-level `spec.resources.requests.memory` when pod-level resources are set (gate
  `PodLevelResources`), else `AggregateContainerRequests`; plus `spec.overhead.memory` only when the
  request is non-zero.
- `staging/src/k8s.io/component-helpers/resource/helpers.go AggregateContainerRequests` (KEP-753):
  max(sum of regular + sidecar containers, for each init container in order its request + the
  sidecars started before it).
- `pkg/kubelet/cm/helpers_linux.go ResourceConfigForPod` — the pod cgroup limit.

Choice for the pod cgroup limit: the pod-level memory limit when set; otherwise the kubelet's
rule, i.e. `AggregateContainerLimits` (the same KEP-753 formula over limits, so sidecars count and
init containers are a max) but only when every *regular* container declares a memory limit > 0.
The kubelet checks only regular containers for "declared"; a sidecar without a limit then runs
under the sum of the others' limits, and so do we.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from math import ceil

from kubectl_mem.model.records import ContainerSpec, Pod, Resources


def _aggregate(pod: Pod, value: Callable[[Resources], Fraction | int | None]) -> Fraction | int:
    """The KEP-753 aggregation of one resource over a pod's containers (`None` counts as 0)."""
    if all(c.kind == "regular" for c in pod.containers):
        return sum(value(c.resources) or 0 for c in pod.containers)
    total = 0  # regular containers + sidecars
    sidecars = 0  # cumulative sidecars started so far
    init_peak = 0
    for c in pod.containers:
        v = value(c.resources) or 0
        if c.kind == "regular":
            total += v
        elif c.kind == "sidecar":
            total += v
            sidecars += v
            init_peak = max(init_peak, sidecars)
        else:  # a classic init container runs alone, next to the sidecars started before it
            init_peak = max(init_peak, v + sidecars)
    return max(total, init_peak)


def aggregate_container_requests(pod: Pod) -> int:
    """`AggregateContainerRequests(pod)[memory]` in bytes, of each container's `Value()`."""
    return int(_aggregate(pod, lambda r: r.memory_request))


def aggregate_container_requests_exact(pod: Pod) -> Fraction | int:
    """`AggregateContainerRequests(pod)[memory]`, exact (a sum of quantities, as upstream adds them)."""
    return _aggregate(pod, lambda r: r.exact_memory_request)


def aggregate_container_limits(pod: Pod) -> int:
    """`AggregateContainerLimits(pod)[memory]` in bytes (missing limits count as 0)."""
    return int(_aggregate(pod, lambda r: r.memory_limit))


def has_pod_level_resources(pod: Pod, *, pod_level_resources: bool = True) -> bool:
    """Gate on and `IsPodLevelResourcesSet` (requests or limits hold cpu, memory or hugepages)."""
    return pod_level_resources and pod.pod_resources is not None and pod.pod_resources.any_set


def pod_memory_request_exact(pod: Pod, *, pod_level_resources: bool = True) -> Fraction | int:
    """`GetResourceRequestQuantity(pod, memory)`: the request eviction ranking compares usage with,
    exactly (upstream compares quantities with `Cmp`, never rounded)."""
    if has_pod_level_resources(pod, pod_level_resources=pod_level_resources):
        # SkipContainerLevelResources: only the pod-level request, 0 when it sets none for memory
        request: Fraction | int = (pod.pod_resources.exact_memory_request if pod.pod_resources else None) or 0
    else:
        request = aggregate_container_requests_exact(pod)
    if request and pod.overhead_memory:
        request += pod.overhead_memory  # overhead only for a non-zero request
    return request


def pod_memory_request(pod: Pod, *, pod_level_resources: bool = True) -> int:
    """The same in whole bytes (rounded up, as `Value()`): for display and sums."""
    return ceil(pod_memory_request_exact(pod, pod_level_resources=pod_level_resources))


def pod_memory_limit(pod: Pod, *, pod_level_resources: bool = True) -> int | None:
    """The pod cgroup's memory limit in bytes, or None when the pod cgroup is unbounded."""
    if has_pod_level_resources(pod, pod_level_resources=pod_level_resources):
        pr = pod.pod_resources
        if pr is not None and pr.memory_limit:
            return pr.memory_limit
    regular = [c for c in pod.containers if c.kind == "regular"]
    if not regular or any(not c.resources.memory_limit for c in regular):
        return None
    return aggregate_container_limits(pod)


def container_memory_request(c: ContainerSpec) -> int | None:
    """The container's own memory request (None when it declares none or 0)."""
    return c.resources.memory_request or None


def container_memory_limit(c: ContainerSpec) -> int | None:
    """The container's own memory limit (None when it declares none or 0: no cgroup limit)."""
    return c.resources.memory_limit or None


def sum_optional(values: Iterable[int | None]) -> int | None:
    """Sum, or None as soon as one value is None (an unbounded member makes the total unbounded)."""
    total = 0
    for v in values:
        if v is None:
            return None
        total += v
    return total
