"""The kubelet Summary API document (stats/v1alpha1) of one node, derived from the cluster state.

Numbers follow the kubelet's definitions (reference §2.2, §4.2): node memory is the root cgroup,
availableBytes = capacity − workingSet; the "pods" system container is the kubepods cgroup whose limit is
allocatable + the hard eviction threshold; a pod's memory is its pod cgroup, i.e. its containers plus the
pause container and overhead, so slightly more than the sum metrics-server reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kubectl_mem.model.quantity import memory_bytes

if TYPE_CHECKING:
    from .cluster import ContainerUsage, NodeUsage

Mi = 1 << 20

__all__ = ["EVICTION_HARD_BYTES", "SYSTEM_OVERHEAD_BYTES", "build_summary"]

Obj = dict[str, Any]
EVICTION_HARD_BYTES = 100 * Mi
SYSTEM_OVERHEAD_BYTES = 800 * Mi  # kernel, systemd, kubelet, containerd: the root cgroup's share outside pods


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


def _container_limit(c: Obj) -> int | None:
    lim = c.get("resources", {}).get("limits", {}).get("memory")
    return memory_bytes(lim) if lim else None


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
    sum_ws = sum_usage = sum_rss = sum_pf = sum_mpf = sum_cpu = 0
    for pod in pods:
        md, spec, status = pod["metadata"], pod.get("spec", {}), pod.get("status", {})
        if status.get("phase") != "Running":
            continue
        key = (md["namespace"], md["name"])
        per = usage.get(key)
        if per is None and key in metrics:
            per = {
                c["name"]: ContainerUsage(memory_bytes(c["usage"]["memory"]))
                for c in metrics[key].get("containers", [])
            }
        if per is None:
            continue  # the kubelet has no stats yet: eviction ranks such pods first
        started = status.get("startTime", t)
        specs = {c["name"]: c for c in spec.get("containers", []) + spec.get("initContainers", [])}
        containers: list[Obj] = []
        p_ws = p_usage = p_rss = p_pf = p_mpf = p_cpu = 0
        for cname, u in per.items():
            f = u.filled()
            assert f.usage is not None and f.rss is not None
            containers.append(
                {
                    "name": cname,
                    "startTime": started,
                    "cpu": _cpu(t, f.cpu_nanocores, 3600),
                    "memory": _mem(
                        t,
                        f.working_set,
                        f.usage,
                        f.rss,
                        f.page_faults,
                        f.major_page_faults,
                        _container_limit(specs.get(cname, {})),
                    ),
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
            p_ws += f.working_set
            p_usage += f.usage
            p_rss += f.rss
            p_pf += f.page_faults
            p_mpf += f.major_page_faults
            p_cpu += f.cpu_nanocores
        extra = overhead.get(key, 512 * 1024)
        limits = [_container_limit(c) for c in spec.get("containers", [])]
        pod_limit = sum(x for x in limits if x) if limits and all(limits) else None
        pod_stats.append(
            {
                "podRef": {"name": md["name"], "namespace": md["namespace"], "uid": md.get("uid", "")},
                "startTime": started,
                "containers": containers,
                "cpu": _cpu(t, p_cpu, 3600),
                "memory": _mem(t, p_ws + extra, p_usage + extra, p_rss + extra // 2, p_pf, p_mpf, pod_limit),
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
        sum_ws += p_ws + extra
        sum_usage += p_usage + extra
        sum_rss += p_rss + extra // 2
        sum_pf += p_pf
        sum_mpf += p_mpf
        sum_cpu += p_cpu

    nstatus = node.get("status", {})
    capacity = memory_bytes(nstatus.get("capacity", {}).get("memory", "0"))
    allocatable = memory_bytes(nstatus.get("allocatable", {}).get("memory", "0")) or capacity
    if node_usage is not None:
        n_ws = node_usage.working_set
        n_usage = node_usage.usage if node_usage.usage is not None else n_ws + n_ws // 6
        n_rss = node_usage.rss if node_usage.rss is not None else n_ws * 3 // 4
        n_cpu = node_usage.cpu_nanocores or sum_cpu + 150_000_000
    else:
        n_ws = sum_ws + SYSTEM_OVERHEAD_BYTES
        n_usage, n_rss, n_cpu = n_ws + n_ws // 6, n_ws * 3 // 4, sum_cpu + 150_000_000
    kubepods_limit = allocatable + EVICTION_HARD_BYTES
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
            "memory": _mem(t, sum_ws, sum_usage, sum_rss, sum_pf, sum_mpf, kubepods_limit),
        },
    ]
    return {
        "node": {
            "nodeName": node["metadata"]["name"],
            "systemContainers": system,
            "startTime": start,
            "cpu": _cpu(t, n_cpu, 86400),
            "memory": _mem(t, n_ws, n_usage, n_rss, sum_pf + 2_500_000, sum_mpf + 1200, capacity),
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
