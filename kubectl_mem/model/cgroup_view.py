"""The kernel's memory figures attached to the pods, containers and nodes the views show.

PURE: no I/O. Inputs are a parsed collector snapshot (`model/cgroup.py`) or a kubelet Summary API
document (the fallback without permission to create pods), and the pods (`records.Pod`) the API
lists on that node. This is the one place that maps cgroups to pods, used by `kubectl mem
cgroups`, by `top`/`nodes`/`explain --cgroups` and by the interactive view's `c` key:

- a pod cgroup to its pod by `metadata.uid` (dashes or the systemd underscores, any case);
- a container cgroup to its container by `status.containerStatuses[].containerID` (init and
  sidecar containers included), with or without the runtime scheme;
- the pod's other child cgroups are kept as `others`: the sandbox (pause) container, CRI-O conmon
  scopes, containers that exited since the pod was listed.

`Figures` is one cgroup's memory in the form every report uses; a value is None when the source
does not say (the Summary API has no breakdown, cgroup v1 no kernel memory, a kernel may lack
memory.peak). Semantics of each figure: `model/cgroup.py`.

Counters to keep apart (shared/reference/kubernetes-memory.md §5.1):
- a container cgroup is new for each container instance, so its memory.events count only kills
  since the container last started;
- the pod cgroup lives as long as the pod and its memory.events are hierarchical: `oom_kills`
  there counts every OOM kill in any of its containers since the pod started, while the API
  remembers only each container's last termination.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import msgspec

from kubectl_mem.model.cgroup import CgroupMemory, CgroupSnapshot, normalize_pod_uid, split_container_id
from kubectl_mem.model.records import Pod
from kubectl_mem.model.views import Snapshot

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
    oom_kills: int | None = None  # memory.events oom_kill: processes killed by an OOM killer
    ooms: int | None = None  # memory.events oom: this cgroup (or a child) reached its limit
    oom_group_kills: int | None = None
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


class PodCgroup(msgspec.Struct, frozen=True, gc=False):
    node: str
    uid: str
    namespace: str | None  # None: the API did not list a pod with this UID on the node
    name: str | None
    qos: str | None  # the cgroup's QoS tier: guaranteed, burstable, besteffort
    figures: Figures  # the pod cgroup: all its containers, the sandbox included
    containers: tuple[ContainerCgroup, ...] = ()
    others: tuple[ContainerCgroup, ...] = ()

    @property
    def key(self) -> str:
        """`namespace/name`, or the UID of a pod the API did not list."""
        return f"{self.namespace}/{self.name}" if self.name is not None else self.uid

    def container(self, name: str) -> Figures | None:
        for c in self.containers:
            if c.name == name:
                return c.figures
        return None


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

    def node(self, name: str) -> NodeCgroup | None:
        return self.nodes.get(name)

    def merged(self, newer: CgroupOverlay) -> CgroupOverlay:
        """This overlay with the nodes of `newer` replaced by what `newer` says of them."""
        touched = set(newer.nodes) | set(newer.failed)
        nodes = {k: v for k, v in self.nodes.items() if k not in touched} | newer.nodes
        pods = {k: v for k, v in self.pods.items() if v.node not in touched} | newer.pods
        failed = {k: v for k, v in self.failed.items() if k not in touched} | newer.failed
        return CgroupOverlay(nodes, pods, failed)


# ---------------------------------------------------------------------------------------------
# figures


def cgroup_figures(cg: CgroupMemory) -> Figures:
    b = cg.breakdown
    ev = cg.events
    p = cg.pressure
    some = p.some if p is not None else None
    full = p.full if p is not None else None
    stat = cg.stat
    faults = stat.get("pgfault", stat.get("total_pgfault"))
    major = stat.get("pgmajfault", stat.get("total_pgmajfault"))
    return Figures(
        source="cgroup",
        path=cg.path,
        working_set=b.working_set,
        usage=cg.usage,
        anon=b.anon,
        file=b.file,
        active_file=b.active_file,
        inactive_file=b.inactive_file,
        shmem=b.shmem,
        kernel=b.kernel,
        sock=b.sock,
        reclaimable=b.reclaimable,
        unreclaimable=b.unreclaimable,
        peak=cg.peak,
        limit=cg.limit,
        swap=cg.swap,
        oom_kills=ev.oom_kill if ev is not None else None,
        ooms=ev.oom if ev is not None else None,
        oom_group_kills=ev.oom_group_kill if ev is not None else None,
        psi_some_avg10=some.avg10 if some is not None else None,
        psi_some_avg60=some.avg60 if some is not None else None,
        psi_some_total_us=some.total_us if some is not None else None,
        psi_full_avg10=full.avg10 if full is not None else None,
        psi_full_avg60=full.avg60 if full is not None else None,
        psi_full_total_us=full.total_us if full is not None else None,
        page_faults=faults,
        major_page_faults=major,
    )


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def summary_figures(memory: Mapping[str, Any] | None) -> Figures:
    """A Summary API `memory` object (node, pod or container): no breakdown, no events."""
    m = memory or {}
    return Figures(
        source="summary",
        working_set=_int(m.get("workingSetBytes")),
        usage=_int(m.get("usageBytes")),
        anon=_int(m.get("rssBytes")),
        page_faults=_int(m.get("pageFaults")),
        major_page_faults=_int(m.get("majorPageFaults")),
    )


# ---------------------------------------------------------------------------------------------
# attaching


def _by_uid(pods: Iterable[Pod]) -> dict[str, Pod]:
    return {normalize_pod_uid(p.uid): p for p in pods if p.uid}


def _container_names(pod: Pod | None) -> dict[str, str]:
    """Bare container ID -> name, in the pod's status order (init and sidecar containers first)."""
    names: dict[str, str] = {}
    for s in pod.statuses if pod is not None else ():
        _, bare = split_container_id(s.container_id)
        if bare:
            names[bare] = s.name
    return names


def attach(node: str, snap: CgroupSnapshot, pods: Iterable[Pod]) -> tuple[NodeCgroup, tuple[PodCgroup, ...]]:
    """The node's own figures and every pod cgroup of the snapshot, named from `pods`."""
    by_uid = _by_uid(pods)
    out = []
    for uid, pc in snap.pods.items():
        pod = by_uid.get(uid)
        names = _container_names(pod)
        containers: list[ContainerCgroup] = []
        others: list[ContainerCgroup] = []
        for child in pc.children:
            cid = child.container_id
            fig = cgroup_figures(child)
            if child.kind == "container" and cid in names:
                containers.append(ContainerCgroup(names[cid], fig, cid))
            elif child.kind == "container" and cid:
                # named by no status: the sandbox (pause) container, or one that exited since
                label = "(sandbox)" if pod is not None else f"(container {cid[:12]})"
                others.append(ContainerCgroup(label, fig, cid))
            else:
                others.append(ContainerCgroup(child.name, fig, cid))
        order = {cid: i for i, cid in enumerate(names)}
        containers.sort(key=lambda c: order[c.container_id or ""])
        out.append(
            PodCgroup(
                node=node,
                uid=uid,
                namespace=pod.namespace if pod is not None else None,
                name=pod.name if pod is not None else None,
                qos=pc.qos,
                figures=cgroup_figures(pc.cgroup),
                containers=tuple(containers),
                others=tuple(others),
            )
        )
    n = snap.node
    root = next((c for c in snap.cgroups if c.kind == "root"), None)
    node_cg = NodeCgroup(
        node=node,
        source="cgroup",
        memory_available=n.available if n is not None else None,
        mem_total=n.mem_total if n is not None else None,
        mem_available=n.mem_available if n is not None else None,
        root_working_set=n.root_working_set if n is not None else None,
        pods_working_set=n.pods_working_set if n is not None else None,
        pods_limit=n.pods_limit if n is not None else None,
        pods_available=n.pods_available if n is not None else None,
        root=cgroup_figures(root) if root is not None else None,
        cgroup_version=snap.cgroup_version,
        truncated=snap.truncated,
    )
    return node_cg, tuple(out)


def attach_summary(
    node: str, summary: Mapping[str, Any], pods: Iterable[Pod]
) -> tuple[NodeCgroup, tuple[PodCgroup, ...]]:
    """The same from the kubelet Summary API: working set, usage and RSS only, and the kubelet's
    own memory.available (`node.memory.availableBytes`)."""
    by_uid = _by_uid(pods)
    by_key = {p.key: p for p in by_uid.values()}
    out = []
    for entry in summary.get("pods") or []:
        ref = entry.get("podRef") or {}
        uid = normalize_pod_uid(str(ref.get("uid") or ""))
        pod = by_uid.get(uid) or by_key.get(f"{ref.get('namespace')}/{ref.get('name')}")
        if pod is not None:
            uid = normalize_pod_uid(pod.uid)
        if not uid:
            continue
        containers = tuple(
            ContainerCgroup(str(c.get("name") or ""), summary_figures(c.get("memory")))
            for c in entry.get("containers") or []
            if c.get("name")
        )
        out.append(
            PodCgroup(
                node=node,
                uid=uid,
                namespace=pod.namespace if pod is not None else ref.get("namespace"),
                name=pod.name if pod is not None else ref.get("name"),
                qos=None,
                figures=summary_figures(entry.get("memory")),
                containers=containers,
            )
        )
    mem = (summary.get("node") or {}).get("memory") or {}
    available, ws = _int(mem.get("availableBytes")), _int(mem.get("workingSetBytes"))
    node_cg = NodeCgroup(
        node=node,
        source="summary",
        memory_available=available,
        mem_total=available + ws if available is not None and ws is not None else None,
        root_working_set=ws,
        root=summary_figures(mem),
    )
    return node_cg, tuple(out)


def overlay(
    nodes: Iterable[tuple[NodeCgroup, Iterable[PodCgroup]]], failed: Mapping[str, str] | None = None
) -> CgroupOverlay:
    node_map: dict[str, NodeCgroup] = {}
    pods: dict[str, PodCgroup] = {}
    for n, node_pods in nodes:
        node_map[n.node] = n
        for p in node_pods:
            pods[p.uid] = p
    return CgroupOverlay(node_map, pods, dict(failed or {}))


def available_from(cg: CgroupOverlay | None, node: str) -> str:
    """Where a node's memory.available comes from once `with_node_memory` applied `cg`:
    "cgroup" (the collector), "summary" (the kubelet Summary API) or "metrics" (metrics.k8s.io)."""
    own = cg.nodes.get(node) if cg is not None else None
    return own.source if own is not None and own.memory_available is not None else "metrics"


def with_node_memory(snapshot: Snapshot, cg: CgroupOverlay) -> Snapshot:
    """The snapshot with each collected node's working set, memory.available and headroom taken
    from the node itself (the kubelet's own signal) instead of metrics.k8s.io. Pod risk levels
    are left as computed from the metrics."""
    views = []
    changed = False
    for n in snapshot.nodes:
        own = cg.nodes.get(n.node.name)
        if own is None or own.memory_available is None:
            views.append(n)
            continue
        changed = True
        views.append(
            msgspec.structs.replace(
                n,
                working_set=own.root_working_set if own.root_working_set is not None else n.working_set,
                available=own.memory_available,
                headroom=own.memory_available - n.threshold,
            )
        )
    return msgspec.structs.replace(snapshot, nodes=tuple(views)) if changed else snapshot
