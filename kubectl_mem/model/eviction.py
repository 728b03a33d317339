"""Kubelet node-pressure eviction for memory: thresholds, ranking, distance to the threshold.

Sources (reference §2):
- `pkg/kubelet/eviction/helpers.go`: `parseThresholdStatement`, `parsePercentage` (float32),
  `GetThresholdQuantity` (a percentage applies to the signal's capacity), `rankMemoryPressure`
  = `orderedBy(exceedMemoryRequests, priority, memory)`, where every comparator puts pods
  *without stats* first.
- `pkg/kubelet/types/pod_update.go IsCriticalPod`: static pods (config source not the API server),
  mirror pods and pods with priority >= 2000000000 are never evicted; they stay in the ranking.
- `pkg/kubelet/eviction/defaults_linux.go`: the default hard threshold `memory.available<100Mi`.

The working set we rank by is the pod cgroup's from the kubelet's Summary API when it was read
(what the eviction manager ranks by), else the sum of the containers' working sets from
metrics.k8s.io: that leaves out the pause container and pod overhead, so a pod a few KiB under its
request here may already exceed it for the kubelet.

A pod whose usage we do not know is *not* "without stats" for the kubelet: the kubelet has Summary
stats for every pod with a running container, so a gap in metrics-server says nothing about its place.
Only a pod absent from the kubelet's own Summary (read for its node) is ranked first, as upstream does:
all its containers in back-off, there is no cgroup to read.
Its place is therefore a range (`eviction_places`): the places it could take whatever its usage,
and the pods it could overtake get a range too. Only pods the kubelet may evict get a place;
critical pods stay in upstream's ranking but the eviction loop skips them.

`sort.Sort` upstream is not stable; we break full ties by namespace, then name.
"""

from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from fractions import Fraction
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
    request: Fraction | int  # exact: upstream compares quantities, never rounded
    working_set: int | None  # None: unknown to us (a range), or no stats at the kubelet (`no_stats`)
    no_stats: bool = False  # absent from the kubelet's own Summary: upstream ranks it first


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


class Place(NamedTuple):
    first: int  # earliest possible place, 1-based
    last: int  # latest possible place


def eviction_places(evictable: Sequence[RankEntry]) -> dict[tuple[str, str], Place]:
    """The place of each pod the kubelet may evict on one node, as a range where usage is unknown.

    Upstream's key is (over its request, priority, usage above request). A pod of unknown usage
    U may be over its request or not, by any amount, so its key can be anything from
    (over, p_U, -inf) to (under, p_U, +inf). For a pod K of known key:
    - U is surely before K when K is under its request and p_U < p_K; possibly before K when K
      is under its request, or p_U <= p_K.
    - K is surely before U when K is over its request and p_K < p_U; possibly before U when K is
      over its request, or p_K <= p_U.
    Two pods of unknown usage can be in either order. Known pods keep their exact order among
    themselves. Cost: a sort plus a binary search per pod.
    """
    out: dict[tuple[str, str], Place] = {}
    # pods the kubelet has no stats for go first, among themselves by priority (rank_key)
    first = sorted((e for e in evictable if e.no_stats), key=rank_key)
    for i, e in enumerate(first, 1):
        out[(e.namespace, e.name)] = Place(i, i)
    shift = len(first)
    known = sorted((e for e in evictable if e.working_set is not None and not e.no_stats), key=rank_key)
    unknown = [e for e in evictable if e.working_set is None and not e.no_stats]
    if not unknown:
        for i, e in enumerate(known, 1 + shift):
            out[(e.namespace, e.name)] = Place(i, i)
        return out
    u_prio = sorted(e.priority for e in unknown)
    n_unknown = len(unknown)
    over_prio: list[int] = []  # priorities of known pods over their request
    under_prio: list[int] = []
    for i, e in enumerate(known):
        assert e.working_set is not None
        if e.working_set > e.request:
            over_prio.append(e.priority)
            surely = 0
            possibly = bisect_right(u_prio, e.priority)  # p_U <= p_K
        else:
            under_prio.append(e.priority)
            surely = bisect_left(u_prio, e.priority)  # p_U < p_K
            possibly = n_unknown
        out[(e.namespace, e.name)] = Place(shift + i + 1 + surely, shift + i + 1 + possibly)
    over_prio.sort()
    under_prio.sort()
    for e in unknown:
        surely = bisect_left(over_prio, e.priority)  # over, p_K < p_U
        possibly = len(over_prio) + bisect_right(under_prio, e.priority)  # over, or under with p_K <= p_U
        out[(e.namespace, e.name)] = Place(shift + 1 + surely, shift + possibly + n_unknown)
    return out


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
