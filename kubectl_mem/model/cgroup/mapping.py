"""The kernel's memory figures attached to the pods, containers and nodes the views show.

PURE: no I/O. Inputs are a parsed collector snapshot (`parse.py`) or a kubelet Summary API
document (the fallback without permission to create pods), and the pods (`records.Pod`) the API
lists on that node. This is the one place that maps cgroups to pods, used by `kubectl mem
cgroups`, by `top`/`nodes`/`explain --cgroups` and by the interactive view's `c` key:

- a pod cgroup to its pod by `metadata.uid` (dashes or the systemd underscores, any case);
- a container cgroup to its container by `status.containerStatuses[].containerID` (init and
  sidecar containers included), with or without the runtime scheme;
- the pod's other child cgroups are kept as `others`: the sandbox (pause) container, CRI-O conmon
  scopes, containers that exited since the pod was listed;
- a container of the pod that has no cgroup (in back-off between two restarts, waiting,
  terminated) is kept in `not_running` with the API's state, so every container has a row.

A parent's OOM counter that is local (v1, memory_localevents) counts none of its children's kills:
its `oom_kills` is None with `oom_kills_not_counted` saying why, never 0 (semantics.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from kubectl_mem.model.cgroup.names import normalize_pod_uid, split_container_id
from kubectl_mem.model.cgroup.records import CgroupMemory, CgroupSnapshot
from kubectl_mem.model.cgroup.semantics import NOT_COUNTED_LOCALEVENTS, NOT_COUNTED_V1, pods_not_counted
from kubectl_mem.model.cgroup.view import (
    CgroupOverlay,
    ContainerCgroup,
    Figures,
    NodeCgroup,
    NotRunning,
    PodCgroup,
)
from kubectl_mem.model.records import Pod
from kubectl_mem.model.views import Snapshot

_PARENTS = frozenset(("root", "kubepods", "qos", "pod"))


def cgroup_figures(cg: CgroupMemory) -> Figures:
    b = cg.breakdown
    ev = cg.events
    oom_kills = ooms = group_kills = None
    not_counted = None
    if ev is not None:
        oom_kills, ooms, group_kills = ev.oom_kill, ev.oom, ev.oom_group_kill
        if not ev.hierarchical and cg.kind in _PARENTS:
            # a parent's local counter says nothing of its children: unknown, not 0
            oom_kills = ooms = group_kills = None
            v1 = ev.file == "memory.oom_control"
            not_counted = NOT_COUNTED_V1 if v1 else NOT_COUNTED_LOCALEVENTS
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
        oom_kills=oom_kills,
        ooms=ooms,
        oom_group_kills=group_kills,
        oom_kills_file=ev.file if ev is not None else None,
        oom_kills_scope=None if ev is None else "subtree" if ev.hierarchical else "cgroup",
        oom_kills_not_counted=not_counted,
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


def _not_running(pod: Pod | None, have: set[str]) -> tuple[NotRunning, ...]:
    """The pod's containers (sidecars included, finished init containers not) with no cgroup."""
    out = []
    for s in pod.statuses if pod is not None else ():
        _, bare = split_container_id(s.container_id)
        if bare and bare in have:
            continue
        if s.kind == "init" and s.state == "terminated":
            continue  # done, as it should be
        if s.state == "running":  # started after the collection read the tree, or a race with it
            reason = "running per the API, no cgroup seen"
        else:
            reason = s.state_reason or (s.terminated.reason if s.terminated is not None else "") or s.state
        out.append(NotRunning(s.name, reason, bare or None))
    return tuple(out)


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
        have = {c.container_id for c in containers if c.container_id}
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
                not_running=_not_running(pod, have),
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
        pods_oom_kills_not_counted=pods_not_counted(snap.cgroup_version, snap.oom_events),
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
