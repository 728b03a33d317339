"""What each simulated node's kernel holds, derived once from the cluster's state: per pod its cgroup
(every running container, sidecars and init containers included, and the sandbox), the limit the
kubelet writes on it, its QoS slice and the OOM kills of its history; per node its MemTotal, root
working set and kubepods limit. The collector pods' cgroup trees (podlife, cgtree) and the kubelet
Summary API (summary.py) are both built from it, so the kernel's figures and the kubelet's agree as
on a real node: the Summary API's numbers are cAdvisor's reading of those same cgroups.

How usage becomes cgroup counters (a container's `ContainerUsage` is what cAdvisor would report):
anon = rss, inactive_file = usage - working set, the rest of the working set active page cache and
a little kernel memory. The kernel keeps a cgroup's usage under its limit by reclaiming inactive
page cache first, the container's and then the pod's.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from kubectl_mem.model.quantity import memory_bytes

from .builders import compute_qos, oom_kill_history, pod_cgroup_limit
from .cgtree import PAGE, Container, Mem, NodeSpec, PodSpec, Qos
from .cluster import ContainerUsage, NodeUsage

__all__ = [
    "DEFAULT_CONTAINER",
    "EVICTION_HARD_BYTES",
    "SYSTEM_OVERHEAD_BYTES",
    "container_mem",
    "node_pods",
    "node_spec",
    "pod_cgroups",
    "sandbox_mem",
]

Obj = dict[str, Any]
Mi = 1 << 20
EVICTION_HARD_BYTES = 100 * Mi  # the kubelet's default hard threshold for memory.available
SYSTEM_OVERHEAD_BYTES = 800 * Mi  # kernel, systemd, kubelet, containerd: the root's share outside pods
DEFAULT_CONTAINER = Mem(anon=8 * Mi)  # a running container the cluster records no usage for
PEAK_ABOVE = 2 * Mi  # how far above its current usage a container has peaked
_QOS: dict[str, Qos] = {"Guaranteed": "guaranteed", "Burstable": "burstable", "BestEffort": "besteffort"}


def container_mem(u: ContainerUsage, limit: int | None) -> Mem:
    """A container's usage as cgroup counters, its usage held under `limit`."""
    f = u.filled()
    assert f.usage is not None and f.rss is not None
    ws, usage, rss = f.working_set, f.usage, min(f.rss, f.working_set)
    rest = ws - rss
    stack = min(rest, 16384)
    pagetables = min(rest - stack, 8 * PAGE)
    slab = min(rest - stack - pagetables, 65536)
    inactive = max(usage - ws, 0)
    if limit is not None:
        inactive = max(min(inactive, limit - ws), 0)  # reclaimed down to the limit
    return Mem(
        anon=rss,
        active_file=rest - stack - pagetables - slab,
        inactive_file=inactive,
        kernel_stack=stack,
        pagetables=pagetables,
        slab_unreclaimable=slab,
        pgfault=f.page_faults,
        pgmajfault=f.major_page_faults,
    )


def sandbox_mem(overhead: int) -> Mem:
    """The pause container: what the kubelet counts in the pod beside its containers (half anon)."""
    anon = overhead // 2
    stack = min(overhead - anon, 16384)
    return Mem(anon=anon, kernel_stack=stack, active_file=overhead - anon - stack)


def _limits(pod: Obj) -> dict[str, int | None]:
    spec = pod.get("spec", {})
    out: dict[str, int | None] = {}
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        q = (c.get("resources", {}).get("limits") or {}).get("memory")
        out[c["name"]] = memory_bytes(q) if q else None
    return out


def pod_cgroups(pod: Obj, usage: Mapping[str, ContainerUsage] | None, overhead: int) -> PodSpec | None:
    """The pod's cgroup on its node, or None when it has none (not started, or gone: Succeeded,
    Failed). The kubelet made it with the sandbox, so a pod whose only container waits out a
    crash-loop back-off still has one, with its OOM kills; a container has one while it runs."""
    st = pod.get("status", {})
    statuses = (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or [])
    if st.get("phase") not in ("Running", "Pending") or not statuses or not pod["spec"].get("nodeName"):
        return None
    md = pod["metadata"]
    limits = _limits(pod)
    ctrs = []
    for cs in statuses:
        cid = (cs.get("containerID") or "").split("://", 1)[-1]
        if not cid or "running" not in (cs.get("state") or {}):
            continue  # exited (its cgroup was removed), or waiting to (re)start
        lim = limits.get(cs["name"])
        u = (usage or {}).get(cs["name"])
        mem = container_mem(u, lim) if u is not None else DEFAULT_CONTAINER
        peak = mem.usage + PEAK_ABOVE
        ctrs.append(Container(cid, mem, lim, peak if lim is None else min(peak, lim), cs["name"]))
    qos = _QOS.get(st.get("qosClass") or compute_qos(pod), "besteffort")
    sandbox = Container(uuid.uuid5(uuid.NAMESPACE_URL, md["uid"]).hex * 2, sandbox_mem(overhead), name="")
    limit = pod_cgroup_limit(pod)
    if limit is not None:
        # the pod cgroup holds its containers and the sandbox under its own limit: the kernel
        # reclaims their inactive page cache (what keeps each one under its limit cannot be enough
        # when all are near theirs)
        over = sum(c.mem.usage for c in ctrs) + sandbox.mem.usage - limit
        for i, c in enumerate(ctrs):
            if over <= 0:
                break
            take = min(over, c.mem.inactive_file)
            if take:
                mem = dataclasses.replace(c.mem, inactive_file=c.mem.inactive_file - take)
                ctrs[i] = dataclasses.replace(c, mem=mem)  # its peak, a high-water mark, stays
                over -= take
    # a container OOM-killed at its limit took the pod's memory.peak at least that high
    killed = [cs["name"] for cs in statuses if _oom_killed(cs)]
    peak = sum(limits.get(n) or 0 for n in killed) + sandbox.mem.usage if killed else None
    return PodSpec(md["uid"], qos, ctrs, sandbox, limit=limit, oom_kills=oom_kill_history(pod), peak=peak)


def _oom_killed(cs: Obj) -> bool:
    for state in ("lastState", "state"):
        if (((cs.get(state) or {}).get("terminated")) or {}).get("reason") == "OOMKilled":
            return True
    return False


def node_pods(cluster: Any, node: str) -> list[PodSpec]:
    """The pod cgroups of `node`, from the cluster's pods and recorded usage."""
    out: list[PodSpec] = []
    for pod in cluster.list("pods"):
        if pod.get("spec", {}).get("nodeName") != node:
            continue
        md = pod["metadata"]
        found = cluster.pod_usage(md["namespace"], md["name"])
        usage, overhead = found if found is not None else ({}, 512 * 1024)
        spec = pod_cgroups(pod, usage, overhead or 512 * 1024)
        if spec is not None:
            out.append(spec)
    return out


def _pods_root_ws(pods: list[PodSpec]) -> int:
    """The pods' part of the root working set (anon + file - inactive_file, as runc and v1 count it)."""
    total = Mem()
    for p in pods:
        for c in [*p.containers, *([p.sandbox] if p.sandbox else [])]:
            total = total + c.mem
    return total.anon + total.file - total.inactive_file


def node_spec(node: Obj, pods: list[PodSpec], usage: NodeUsage | None) -> NodeSpec:
    """The machine: MemTotal is the node's capacity (cAdvisor's machine capacity is MemTotal; the
    kubelet reports it as capacity), the root working set what the node's usage says (metrics-server
    and the Summary API report it) or the pods plus a system share, the kubepods cgroup's limit
    allocatable + the hard eviction threshold (node-allocatable enforcement)."""
    status = node.get("status", {})
    capacity = memory_bytes(status.get("capacity", {}).get("memory", "0"))
    allocatable = memory_bytes(status.get("allocatable", {}).get("memory", "0")) or capacity
    ws = usage.working_set if usage is not None else _pods_root_ws(pods) + SYSTEM_OVERHEAD_BYTES
    return NodeSpec(mem_total=capacity, working_set=ws, pods_limit=allocatable + EVICTION_HARD_BYTES)
