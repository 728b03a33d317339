"""The kernel's memory figures in the form every view shows: `Figures` per cgroup, and what
`--cgroups` adds to a view (`CgroupOverlay`: per node, per pod, the nodes that failed).

PURE. `Figures` is one cgroup's memory in the form every report uses; a value is None when the
source does not say (the Summary API has no breakdown, cgroup v1 no kernel memory, a kernel may
lack memory.peak). Semantics of each figure: `semantics.py`. Made by `mapping.py`.

Counters to keep apart (shared/reference/kubernetes-memory.md §5; semantics.py, OOM counters):
- a container cgroup is new for each container instance, so its OOM counters count only kills
  since the container last started (v1 memory.oom_control and v2 memory.events alike: the killed
  processes live in it);
- the pod cgroup lives as long as the pod. On v2 its memory.events are hierarchical: `oom_kills`
  there counts every OOM kill in any of its containers since the pod started, while the API
  remembers only each container's last termination. On v1 (and v2 with memory_localevents) its
  counter is local and counts nothing of its containers: `oom_kills` is None there, with
  `oom_kills_not_counted` saying why, never 0.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from kubectl_mem.model.cgroup.names import normalize_pod_uid

Source = Literal["cgroup", "summary"]


class Figures(msgspec.Struct, frozen=True, gc=False):
    """One cgroup's memory, in bytes (events as counts, PSI as percentages)."""

    source: Source
    path: str | None = None  # the cgroup path (collector only)
    working_set: int | None = None  # usage - inactive_file, as cAdvisor and the kubelet compute it
    usage: int | None = None
    anon: int | None = None  # Summary API: rssBytes (cAdvisor's RSS is anon / total_rss)
    file: int | None = None  # page cache, shmem included
    active_file: int | None = None
    inactive_file: int | None = None
    shmem: int | None = None
    kernel: int | None = None
    sock: int | None = None
    reclaimable: int | None = None  # inactive_file + active_file + slab_reclaimable
    unreclaimable: int | None = None
    peak: int | None = None  # memory.peak / max_usage_in_bytes: highest usage since the cgroup was made
    limit: int | None = None  # None: no limit (or unknown)
    swap: int | None = None
    oom_kills: int | None = None  # oom_kill: processes killed by an OOM killer (see oom_kills_scope)
    ooms: int | None = None  # v2 memory.events oom: this cgroup (or a child) reached its limit
    oom_group_kills: int | None = None
    oom_kills_file: str | None = None  # memory.events (v2) or memory.oom_control (v1)
    # "subtree": this cgroup and all its descendants, removed ones included; "cgroup": its own
    # processes only (v1, or v2 with memory_localevents). semantics.py, OOM counters.
    oom_kills_scope: Literal["subtree", "cgroup"] | None = None
    oom_kills_not_counted: str | None = None  # why oom_kills is None although the file was read
    psi_some_avg10: float | None = None
    psi_some_avg60: float | None = None
    psi_some_total_us: int | None = None
    psi_full_avg10: float | None = None
    psi_full_avg60: float | None = None
    psi_full_total_us: int | None = None
    page_faults: int | None = None
    major_page_faults: int | None = None


class ContainerCgroup(msgspec.Struct, frozen=True, gc=False):
    name: str  # the container's name; for `others`: "(sandbox)", or the cgroup's own name
    figures: Figures
    container_id: str | None = None  # bare id


class NotRunning(msgspec.Struct, frozen=True, gc=False):
    """A container of the pod without a cgroup: in back-off, waiting or terminated (the API's word)."""

    name: str
    state: str  # e.g. CrashLoopBackOff, OOMKilled, ContainerCreating, Error; else waiting/terminated
    container_id: str | None = None  # the instance the API last named (its cgroup is gone)


class PodCgroup(msgspec.Struct, frozen=True, gc=False):
    node: str
    uid: str
    namespace: str | None  # None: the API did not list a pod with this UID on the node
    name: str | None
    qos: str | None  # the cgroup's QoS tier: guaranteed, burstable, besteffort
    figures: Figures  # the pod cgroup: all its containers, the sandbox included
    containers: tuple[ContainerCgroup, ...] = ()
    others: tuple[ContainerCgroup, ...] = ()
    not_running: tuple[NotRunning, ...] = ()  # containers of the pod (API) without a cgroup

    @property
    def key(self) -> str:
        """`namespace/name`, or the UID of a pod the API did not list."""
        return f"{self.namespace}/{self.name}" if self.name is not None else self.uid

    def container(self, name: str) -> Figures | None:
        for c in self.containers:
            if c.name == name:
                return c.figures
        return None

    def missing(self, name: str) -> NotRunning | None:
        """The container `name` when the API lists it but its cgroup was not there (back-off ...)."""
        return next((n for n in self.not_running if n.name == name), None)


class NodeCgroup(msgspec.Struct, frozen=True, gc=False):
    """The node's own figures; `memory_available` is the kubelet's eviction signal."""

    node: str
    source: Source
    memory_available: int | None = None  # MemTotal - root working set (Summary: availableBytes)
    mem_total: int | None = None
    mem_available: int | None = None  # /proc/meminfo MemAvailable, the kernel's own estimate
    root_working_set: int | None = None
    pods_working_set: int | None = None  # the kubepods cgroup
    pods_limit: int | None = None
    pods_available: int | None = None  # allocatableMemory.available
    root: Figures | None = None  # the root cgroup: the whole machine
    cgroup_version: str | None = None
    truncated: bool = False  # the collector's output was cut: some pods are missing
    # why its pods' OOM-KILLS are unknown (cgroup v1, memory_localevents: local counters), else None
    pods_oom_kills_not_counted: str | None = None


class CgroupOverlay(msgspec.Struct, frozen=True, gc=False):
    """What `--cgroups` adds to a view: per node, per pod (by UID), and the nodes that failed."""

    nodes: dict[str, NodeCgroup] = msgspec.field(default_factory=dict)
    pods: dict[str, PodCgroup] = msgspec.field(default_factory=dict)
    failed: dict[str, str] = msgspec.field(default_factory=dict)  # node -> why

    def pod(self, uid: str) -> PodCgroup | None:
        return self.pods.get(normalize_pod_uid(uid))

    def container(self, uid: str, name: str) -> Figures | None:
        p = self.pod(uid)
        return p.container(name) if p is not None else None

    def not_running(self, uid: str, name: str) -> NotRunning | None:
        """A container of a collected pod that had no cgroup: read, and not there."""
        p = self.pod(uid)
        return p.missing(name) if p is not None else None

    def node(self, name: str) -> NodeCgroup | None:
        return self.nodes.get(name)

    def merged(self, newer: CgroupOverlay) -> CgroupOverlay:
        """This overlay with the nodes of `newer` replaced by what `newer` says of them."""
        touched = set(newer.nodes) | set(newer.failed)
        nodes = {k: v for k, v in self.nodes.items() if k not in touched} | newer.nodes
        pods = {k: v for k, v in self.pods.items() if v.node not in touched} | newer.pods
        failed = {k: v for k, v in self.failed.items() if k not in touched} | newer.failed
        return CgroupOverlay(nodes, pods, failed)
