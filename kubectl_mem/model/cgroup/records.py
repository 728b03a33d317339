"""The collector's output as typed records: one `CgroupMemory` per cgroup, pods with their children,
the node's own figures, all in one `CgroupSnapshot` (made by `parse.parse_cgroup_dump`).

PURE. Finding a pod's or container's cgroup:
- `CgroupSnapshot.pod(uid)` -> `PodCgroups | None`, by `metadata.uid` (dashes or the systemd
  underscores, any case).
- `PodCgroups.container(container_id)` / `CgroupSnapshot.container(container_id)` ->
  `CgroupMemory | None`, by `status.containerStatuses[].containerID` as the API gives it
  (`containerd://…`, `cri-o://…`, `docker://…`) or bare.
- `PodCgroups.others(known_ids)`: the pod's child cgroups that no status names, i.e. the sandbox
  (pause) container, CRI-O conmon scopes, or containers that already exited.
What each figure means: `semantics.py`.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from kubectl_mem.model.cgroup.names import QosTier, normalize_pod_uid, split_container_id

CgroupKind = Literal["root", "kubepods", "qos", "pod", "container", "other"]
CgroupVersion = Literal["v1", "v2", "hybrid", "none", "unknown"]
OomEventsScope = Literal["hierarchical", "local"]  # what OOM counters count: semantics.py


class MemoryEvents(msgspec.Struct, frozen=True, gc=False):
    """v2 memory.events, or what v1 has of it (memory.oom_control). None: not reported by this
    kernel or cgroup version. `hierarchical`: see semantics.py (OOM counters)."""

    low: int | None = None
    high: int | None = None
    max: int | None = None
    oom: int | None = None
    oom_kill: int | None = None  # processes killed by the OOM killer (v1: since Linux 4.13)
    oom_group_kill: int | None = None
    under_oom: bool | None = None  # v1 only
    oom_kill_disable: bool | None = None  # v1 only
    file: str = "memory.events"  # the file read: memory.events (v2) or memory.oom_control (v1)
    hierarchical: bool = True  # counts descendants too (v2 default); False: this cgroup's own only


class PsiLine(msgspec.Struct, frozen=True, gc=False):
    avg10: float  # percent of wall time stalled, 10 s average
    avg60: float
    avg300: float
    total_us: int  # cumulative stall time in microseconds


class Pressure(msgspec.Struct, frozen=True, gc=False):
    """memory.pressure (PSI). On hybrid hosts it comes from the unified tree's cgroup of the same
    path; pure v1 has none."""

    some: PsiLine | None = None
    full: PsiLine | None = None


class Breakdown(msgspec.Struct, frozen=True, gc=False):
    """What the usage is made of, in bytes; None when this cgroup version does not say."""

    anon: int | None = None
    file: int | None = None  # page cache, shmem included
    active_file: int | None = None
    inactive_file: int | None = None
    shmem: int | None = None
    kernel: int | None = None  # v2 `kernel`, else the sum of the parts below that are known
    kernel_stack: int | None = None
    pagetables: int | None = None
    slab_reclaimable: int | None = None
    slab_unreclaimable: int | None = None
    percpu: int | None = None
    vmalloc: int | None = None
    sock: int | None = None
    working_set: int | None = None  # usage - inactive_file, floored at 0 (cAdvisor, kubelet)
    reclaimable: int | None = None  # inactive_file + active_file + slab_reclaimable
    unreclaimable: int | None = None  # see the module docstring


class CgroupMemory(msgspec.Struct, frozen=True):
    path: str  # relative to the memory hierarchy, "/"-rooted: "/" is the root cgroup
    kind: CgroupKind
    name: str = ""  # the last path component
    qos: QosTier | None = None  # pods, their children, and QoS tiers
    pod_uid: str | None = None  # with dashes, lower case
    container_id: str | None = None  # bare id, no runtime prefix (a conmon scope: its container's)
    runtime: str | None = None  # containerd, cri-o, docker, podman; None when the name is a bare id
    stat: dict[str, int] = msgspec.field(default_factory=dict)  # every key the script printed
    usage: int | None = None  # memory.current | memory.usage_in_bytes (v2 root: anon + file)
    limit: int | None = None  # memory.max | memory.limit_in_bytes; None = unlimited or unknown
    peak: int | None = None  # memory.peak | memory.max_usage_in_bytes
    swap: int | None = None  # memory.swap.current | memsw.usage_in_bytes - usage_in_bytes
    high: int | None = None  # v2 memory.high; None = "max" or unknown
    failcnt: int | None = None  # v1 memory.failcnt
    events: MemoryEvents | None = None
    pressure: Pressure | None = None
    breakdown: Breakdown = Breakdown()


class PodCgroups(msgspec.Struct, frozen=True):
    uid: str
    qos: QosTier | None
    cgroup: CgroupMemory
    children: tuple[CgroupMemory, ...] = ()  # containers, sandbox, conmon ...

    def container(self, container_id: str) -> CgroupMemory | None:
        """The child cgroup of a `status.containerStatuses[].containerID` (with or without scheme)."""
        _, bare = split_container_id(container_id)
        if not bare:
            return None
        for child in self.children:
            if child.container_id == bare and child.kind == "container":
                return child
        return None

    def others(self, known_ids: tuple[str, ...] | list[str] = ()) -> tuple[CgroupMemory, ...]:
        """Children no known container ID names: the sandbox, conmon, exited containers."""
        known = {split_container_id(c)[1] for c in known_ids}
        return tuple(c for c in self.children if c.kind != "container" or c.container_id not in known)


class NodeMemory(msgspec.Struct, frozen=True, gc=False):
    """The node's own figures, as the kubelet's eviction manager computes them (§2.2)."""

    mem_total: int | None = None  # /proc/meminfo MemTotal (cAdvisor's machine capacity)
    mem_available: int | None = None  # /proc/meminfo MemAvailable (the kernel's estimate)
    root_usage: int | None = None  # v1 usage_in_bytes; v2 anon + file of the root memory.stat
    root_working_set: int | None = None
    available: int | None = None  # memory.available = MemTotal - root working set
    pods_limit: int | None = None  # the kubepods cgroup limit (node allocatable when enforced)
    pods_working_set: int | None = None
    pods_available: int | None = None  # allocatableMemory.available = pods_limit - pods WS


class CgroupSnapshot(msgspec.Struct, frozen=True):
    format_version: int | None = None
    cgroup_version: CgroupVersion = "unknown"
    oom_events: OomEventsScope = "hierarchical"  # what the OOM counters count (semantics.py)
    memroot: str | None = None  # the memory hierarchy, relative to CGROUP_ROOT
    psi_root: str | None = None  # where memory.pressure came from, relative to CGROUP_ROOT
    kubepods: str | None = None  # path of the kubepods cgroup; None: no kubepods tree found
    meminfo: dict[str, int] = msgspec.field(default_factory=dict)  # bytes ("kB" lines * 1024)
    node: NodeMemory | None = None
    cgroups: tuple[CgroupMemory, ...] = ()  # in output order: root, kubepods, tiers, pods, children
    pods: dict[str, PodCgroups] = msgspec.field(default_factory=dict)  # by dashed UID
    truncated: bool = False  # the output was cut (no @end, or fewer blocks than @end counted)
    problems: tuple[str, ...] = ()  # script warnings and parse problems, in order

    def pod(self, uid: str) -> PodCgroups | None:
        return self.pods.get(normalize_pod_uid(uid))

    def container(self, container_id: str) -> CgroupMemory | None:
        _, bare = split_container_id(container_id)
        if not bare:
            return None
        for cg in self.cgroups:
            if cg.container_id == bare and cg.kind == "container":
                return cg
        return None

    def by_kind(self, kind: CgroupKind) -> tuple[CgroupMemory, ...]:
        return tuple(c for c in self.cgroups if c.kind == kind)
