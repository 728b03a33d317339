"""Kubelet node-pressure eviction for memory: thresholds, ranking, distance to the threshold.

Sources (reference §2):
- `pkg/kubelet/eviction/helpers.go`: `parseThresholdStatement`, `parsePercentage` (float32),
  `GetThresholdQuantity` (a percentage applies to the signal's capacity), `rankMemoryPressure`
  = `orderedBy(exceedMemoryRequests, priority, memory)`, where every comparator puts pods
  *without stats* first.
- `pkg/kubelet/types/pod_update.go IsCriticalPod`: static pods (config source not the API server),
  mirror pods and pods with priority >= 2000000000 are never evicted; they stay in the ranking.
- `pkg/kubelet/eviction/defaults_linux.go`: the default hard threshold `memory.available<100Mi`.

The working set we rank by is the sum of the containers' working sets from metrics.k8s.io. The
kubelet uses the pod cgroup's working set from its summary, which also holds the pause container
and pod overhead, so it is slightly larger: a pod a few KiB under its request here may already
exceed it for the kubelet. A pod metrics-server does not report counts as "without stats" and is
ranked first, as the kubelet does for pods it has no stats for.

`sort.Sort` upstream is not stable; we break full ties by namespace, then name.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import NamedTuple

from kubectl_mem.model.quantity import memory_bytes
from kubectl_mem.model.records import Pod

DEFAULT_HARD_THRESHOLD = 100 * 1024 * 1024  # memory.available<100Mi
SYSTEM_CRITICAL_PRIORITY = 2_000_000_000  # scheduling.SystemCriticalPriority
MEMORY_SIGNALS = ("memory.available", "allocatableMemory.available")


def _float32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def _parse_value(value: str, capacity: int) -> int:
    value = value.strip()
    if value.endswith("%"):
        if value in ("0%", "100%"):
            return 0  # upstream ignores them: no threshold
        try:
            # parsePercentage: ParseFloat(..., 32) then float32(value) / 100
            pct = _float32(_float32(float(value[:-1])) / 100)
        except ValueError as err:
            raise ValueError(f"invalid eviction threshold percentage {value!r}") from err
        if not 0 <= pct <= 1:
            raise ValueError(f"eviction threshold percentage must be within 0% and 100%: {value!r}")
        # GetThresholdQuantity: int64(float64(capacity) * float64(percentage))
        return int(float(capacity) * pct)
    quantity = memory_bytes(value)
    if quantity <= 0:
        raise ValueError(f"eviction threshold must be positive: {value!r}")
    return quantity


def parse_eviction_threshold(spec: str | int, capacity: int) -> int:
    """The memory hard-eviction threshold in bytes for a node of `capacity` bytes.

    Accepts the kubelet flag form (`memory.available<100Mi`, `memory.available<5%`, several
    statements separated by commas: the memory one is used), a bare value (`100Mi`, `5%`) or a
    byte count. Raises ValueError when it is malformed or holds no memory threshold.
    """
    if isinstance(spec, int) and not isinstance(spec, bool):
        if spec < 0:
            raise ValueError("eviction threshold must not be negative")
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"invalid eviction threshold {spec!r}")
    if "<" not in spec:
        return _parse_value(spec, capacity)
    for statement in spec.split(","):
        signal, sep, value = statement.partition("<")
        if not sep or not signal.strip():
            raise ValueError(f"invalid eviction threshold statement {statement!r}")
        if signal.strip() == "memory.available":
            return _parse_value(value, capacity)
    raise ValueError(f"no memory.available threshold in {spec!r}")


def is_static(pod: Pod) -> bool:
    """`IsStaticPod`: the kubernetes.io/config.source annotation says file or http."""
    return pod.config_source not in ("", "api")


def is_critical(pod: Pod, priority: int) -> bool:
    """`IsCriticalPod`: static, mirror, or priority >= system-critical. Never evicted."""
    return is_static(pod) or pod.is_mirror or priority >= SYSTEM_CRITICAL_PRIORITY


def is_active(pod: Pod) -> bool:
    """Pods the eviction manager ranks: bound to a node and not terminated."""
    return bool(pod.node) and pod.phase not in ("Succeeded", "Failed")


class RankEntry(NamedTuple):
    """What rankMemoryPressure looks at for one pod."""

    namespace: str
    name: str
    priority: int
    request: int
    working_set: int | None  # None: no stats, ranked first


def rank_key(e: RankEntry) -> tuple:
    """Sort key reproducing orderedBy(exceedMemoryRequests, priority, memory), then ns/name."""
    if e.working_set is None:
        # no stats: first in each comparator; among themselves only priority decides
        return (0, 0, e.priority, 0, e.namespace, e.name)
    exceeds = e.working_set > e.request
    return (1, 0 if exceeds else 1, e.priority, e.request - e.working_set, e.namespace, e.name)


def rank_memory_pressure(entries: Iterable[RankEntry]) -> list[RankEntry]:
    """The pods of one node, first evicted first."""
    return sorted(entries, key=rank_key)


class NodeHeadroom(NamedTuple):
    available: int | None  # memory.available = capacity - node working set
    headroom: int | None  # available - threshold: negative means the threshold is crossed
    allocatable_headroom: int | None  # allocatable - sum of pod working sets


def node_headroom(
    capacity: int,
    allocatable: int,
    node_working_set: int | None,
    threshold: int,
    pods_working_set: int | None,
) -> NodeHeadroom:
    """Distance to the memory.available threshold (reference §2.5), from API data.

    Capacity stands in for MemTotal. The kubelet's allocatable signal uses the kubepods cgroup
    working set; the sum of pod working sets is close to it but not identical.
    """
    available = capacity - node_working_set if node_working_set is not None else None
    headroom = available - threshold if available is not None else None
    alloc = allocatable - pods_working_set if pods_working_set is not None and allocatable else None
    return NodeHeadroom(available, headroom, alloc)
