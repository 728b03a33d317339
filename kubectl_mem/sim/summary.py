"""The kubelet Summary API document (stats/v1alpha1) of one node, derived from the cluster state.

Numbers follow the kubelet's definitions (reference §2.2, §4.2) and are cAdvisor's reading of the
node's cgroups as sim/kernel.py makes them, the same cgroups the collector pods read: node memory is
the root cgroup (usage = anon + file, rss = anon, availableBytes = MemTotal − workingSet); the "pods"
system container is the kubepods cgroup, whose limit is allocatable + the hard eviction threshold; a
pod's memory is its pod cgroup, i.e. its running containers plus the pause container, so slightly
more than the sum metrics-server reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kubectl_mem.model.quantity import memory_bytes

from .cgtree import Mem, pod_limit, system_share
from .kernel import EVICTION_HARD_BYTES, SYSTEM_OVERHEAD_BYTES, node_spec, pod_cgroups

if TYPE_CHECKING:
    from .cluster import ContainerUsage, NodeUsage

__all__ = ["EVICTION_HARD_BYTES", "SYSTEM_OVERHEAD_BYTES", "build_summary"]

Obj = dict[str, Any]
Mi = 1 << 20


def _mem(t: str, ws: int, usage: int, rss: int, pf: int, mpf: int, limit: int | None) -> Obj:
    out: Obj = {"time": t}
    if limit is not None:
        out["availableBytes"] = max(limit - ws, 0)
    out.update(
        {
            "usageBytes": usage,
            "workingSetBytes": ws,
            "rssBytes": rss,
            "pageFaults": pf,
            "majorPageFaults": mpf,
        }
    )
    return out


def _cpu(t: str, nanocores: int, seconds_running: int) -> Obj:
    return {
        "time": t,
        "usageNanoCores": nanocores,
        "usageCoreNanoSeconds": nanocores * max(seconds_running, 1),
    }


def _cg(t: str, m: Mem, limit: int | None) -> Obj:
    """A cgroup as cAdvisor reads it: usage = memory.current, working set = usage - inactive_file,
    rss = anon."""
    return _mem(t, m.usage - m.inactive_file, m.usage, m.anon, m.pgfault, m.pgmajfault, limit)


def build_summary(
    node: Obj,
    pods: list[Obj],
    usage: Mapping[tuple[str, str], dict[str, ContainerUsage] | None],
    overhead: Mapping[tuple[str, str], int],
    metrics: Mapping[tuple[str, str], Obj],
    node_usage: NodeUsage | None,
    now: datetime,
) -> Obj:
    from .cluster import ContainerUsage, rfc3339

    t = rfc3339(now)
    start = node.get("metadata", {}).get("creationTimestamp", t)
    pod_stats: list[Obj] = []
    specs = []
    kubepods = Mem()
    sum_cpu = 0
    for pod in pods:
        md, status = pod["metadata"], pod.get("status", {})
        key = (md["namespace"], md["name"])
        per = usage.get(key)
        if per is None and key in metrics:
            per = {
                c["name"]: ContainerUsage(memory_bytes(c["usage"]["memory"]))
                for c in metrics[key].get("containers", [])
            }
        if per is None:
            continue  # the kubelet has no stats yet: eviction ranks such pods first
        spec = pod_cgroups(pod, per, overhead.get(key, 512 * 1024))
        if spec is None or not spec.containers:
            # the kubelet's CRI stats list a pod through its running containers' stats: one whose
            # containers all wait out a back-off is missing from its Summary (seen on a real kubelet,
            # tests/realnode), and its eviction manager ranks such a pod first
            continue
        specs.append(spec)
        started = status.get("startTime", t)
        containers: list[Obj] = []
        p_cpu = 0
        total = spec.sandbox.mem if spec.sandbox else Mem()
        for c in spec.containers:
            total = total + c.mem
            cpu = per[c.name].cpu_nanocores if c.name in per else 1_000_000
            p_cpu += cpu
            containers.append(
                {
                    "name": c.name,
                    "startTime": started,
                    "cpu": _cpu(t, cpu, 3600),
                    "memory": _cg(t, c.mem, c.limit),
                    "rootfs": {
                        "time": t,
                        "availableBytes": 80 * 1024**3,
                        "capacityBytes": 100 * 1024**3,
                        "usedBytes": 40960,
                        "inodesFree": 6000000,
                        "inodes": 6553600,
                        "inodesUsed": 12,
                    },
                    "logs": {
                        "time": t,
                        "availableBytes": 80 * 1024**3,
                        "capacityBytes": 100 * 1024**3,
                        "usedBytes": 20480,
                        "inodesFree": 6000000,
                        "inodes": 6553600,
                        "inodesUsed": 1,
                    },
                    "swap": {"time": t, "swapUsageBytes": 0},
                }
            )
        kubepods = kubepods + total
        sum_cpu += p_cpu
        pod_stats.append(
            {
                "podRef": {"name": md["name"], "namespace": md["namespace"], "uid": md.get("uid", "")},
                "startTime": started,
                "containers": containers,
                "cpu": _cpu(t, p_cpu, 3600),
                "memory": _cg(t, total, pod_limit(spec)),
                "network": {
                    "time": t,
                    "name": "eth0",
                    "rxBytes": 1024 * 1024,
                    "rxErrors": 0,
                    "txBytes": 512 * 1024,
                    "txErrors": 0,
                },
                "volume": [],
                "ephemeral-storage": {
                    "time": t,
                    "availableBytes": 80 * 1024**3,
                    "capacityBytes": 100 * 1024**3,
                    "usedBytes": 61440,
                    "inodesFree": 6000000,
                    "inodes": 6553600,
                    "inodesUsed": 13,
                },
                "process_stats": {"process_count": len(containers) + 1},
                "swap": {"time": t, "swapUsageBytes": 0},
            }
        )

    machine = node_spec(node, specs, node_usage)
    root = kubepods + system_share(kubepods, machine)
    root_usage = root.anon + root.file  # runc's root usage on v2, usage_in_bytes on v1
    root_ws = max(root_usage - root.inactive_file, 0)
    n_cpu = (node_usage.cpu_nanocores if node_usage else 0) or sum_cpu + 150_000_000
    system = [
        {
            "name": "kubelet",
            "startTime": start,
            "cpu": _cpu(t, 40_000_000, 86400),
            "memory": _mem(t, 72 * Mi, 96 * Mi, 60 * Mi, 90000, 30, None),
        },
        {
            "name": "runtime",
            "startTime": start,
            "cpu": _cpu(t, 25_000_000, 86400),
            "memory": _mem(t, 58 * Mi, 140 * Mi, 41 * Mi, 120000, 55, None),
        },
        {
            "name": "pods",
            "startTime": start,
            "cpu": _cpu(t, sum_cpu, 86400),
            "memory": _cg(t, kubepods, machine.pods_limit),
        },
    ]
    return {
        "node": {
            "nodeName": node["metadata"]["name"],
            "systemContainers": system,
            "startTime": start,
            "cpu": _cpu(t, n_cpu, 86400),
            "memory": _mem(
                t,
                root_ws,
                root_usage,
                root.anon,
                kubepods.pgfault + 2_500_000,
                kubepods.pgmajfault + 1200,
                machine.mem_total,
            ),
            "network": {
                "time": t,
                "name": "eth0",
                "rxBytes": 10 * 1024**3,
                "rxErrors": 0,
                "txBytes": 8 * 1024**3,
                "txErrors": 0,
            },
            "fs": {
                "time": t,
                "availableBytes": 80 * 1024**3,
                "capacityBytes": 100 * 1024**3,
                "usedBytes": 20 * 1024**3,
                "inodesFree": 6000000,
                "inodes": 6553600,
                "inodesUsed": 553600,
            },
            "runtime": {
                "imageFs": {
                    "time": t,
                    "availableBytes": 80 * 1024**3,
                    "capacityBytes": 100 * 1024**3,
                    "usedBytes": 9 * 1024**3,
                    "inodesFree": 6000000,
                    "inodes": 6553600,
                    "inodesUsed": 553600,
                }
            },
            "rlimit": {"time": t, "maxpid": 4194304, "curproc": 400 + 12 * len(pod_stats)},
            "swap": {"time": t, "swapAvailableBytes": 0, "swapUsageBytes": 0},
        },
        "pods": pod_stats,
    }
