"""`kubectl mem cgroups`: the kernel's breakdown per pod and container, and the node's memory.available.

Rows come from a `CgroupSnapshot` (collector pod or --from-dir) joined with the pods of the node by
`model.cgroup.mapping.attach` (UID → namespace/name, container ID → container name). A node collected
only through the Summary API (no permission to create pods) shows what the kubelet reports and
nothing more. `figures_doc` / `node_figures_doc` are also the `cgroup` objects of `top`/`nodes -o json`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kubectl_mem.model.cgroup import (
    CgroupSnapshot,
    Figures,
    NodeCgroup,
    PodCgroup,
    pods_not_counted,
)
from kubectl_mem.report import columns as cols
from kubectl_mem.report import table as plain
from kubectl_mem.report.document import API_VERSION
from kubectl_mem.report.fmt import UNBOUNDED, size

Obj = dict[str, Any]


@dataclass(frozen=True)
class Row:
    node: str
    pod: str  # namespace/name, or the UID of a pod the API did not list
    container: str  # "" for the pod's own cgroup
    qos: str
    cg: Figures
    state: str | None = None  # a container without a cgroup: the API's state (CrashLoopBackOff ...)

    @property
    def psi_some_avg10(self) -> float | None:
        return self.cg.psi_some_avg10

    @property
    def oom_kills(self) -> int | None:
        return self.cg.oom_kills


def rows(pods: Iterable[PodCgroup], *, only: str | None = None) -> list[Row]:
    """Pod and container rows (named by `model.cgroup.mapping.attach`); `only` = "ns/name" keeps one pod."""
    out = []
    for pc in pods:
        if only is not None and pc.key != only:
            continue
        qos = pc.qos or ""
        out.append(Row(pc.node, pc.key, "", qos, pc.figures))
        for child in (*pc.containers, *pc.others):
            out.append(Row(pc.node, pc.key, child.name, qos, child.figures))
        for nr in pc.not_running:
            out.append(Row(pc.node, pc.key, nr.name, qos, Figures(source="cgroup"), state=nr.state))
    return out


def table(rows_: Sequence[Row], *, headers: bool = True) -> str:
    """The rows under the column spec's names and formats (report/columns/cgroups.py)."""
    return plain.render(rows_, cols.cgroup_row_columns(), headers=headers)


def oom_kills_note(snap: CgroupSnapshot) -> str:
    """What OOM-KILLS means on this node, when a pod's count is not the kernel's default."""
    return pods_not_counted(snap.cgroup_version, snap.oom_events) or ""


def node_line(node: str, snap: CgroupSnapshot) -> str:
    n = snap.node
    note = oom_kills_note(snap)
    note = f"\nOOM-KILLS of pods (-): {note}" if note else ""
    if n is None or n.available is None:
        return f"node {node}: memory.available unknown (no /proc/meminfo or root cgroup in the output){note}"
    return (
        f"node {node}: memory.available {size(n.available)} (MemTotal {size(n.mem_total)} - root working set "
        f"{size(n.root_working_set)}, as the kubelet computes it); "
        f"pods working set {size(n.pods_working_set)} of {size(n.pods_limit, missing=UNBOUNDED)}; "
        f"cgroup {snap.cgroup_version}{note}"
    )


def summary_lines(node: str, summary: Obj) -> str:
    mem = summary.get("node", {}).get("memory", {})
    lines = [
        f"node {node} (kubelet Summary API): working set {size(mem.get('workingSetBytes'))}, usage "
        f"{size(mem.get('usageBytes'))}, RSS {size(mem.get('rssBytes'))}, "
        f"available {size(mem.get('availableBytes'))}"
    ]
    for p in summary.get("pods") or []:
        ref = p.get("podRef", {})
        for c in p.get("containers") or []:
            m = c.get("memory", {})
            lines.append(
                f"  {ref.get('namespace')}/{ref.get('name')} {c.get('name')}: working set "
                f"{size(m.get('workingSetBytes'))}, RSS {size(m.get('rssBytes'))}, page faults "
                f"{m.get('pageFaults', '-')}/{m.get('majorPageFaults', '-')} major"
            )
    return "\n".join(lines) + "\n"


def _psi(avg10: float | None, avg60: float | None, total: int | None) -> Obj | None:
    if avg10 is None and avg60 is None and total is None:
        return None
    return {"avg10": avg10, "avg60": avg60, "totalMicroseconds": total}


def figures_doc(f: Figures) -> Obj:
    """One cgroup's figures as JSON (the `memory` of `kubectl mem cgroups`, the `cgroup` of `top`)."""
    some = _psi(f.psi_some_avg10, f.psi_some_avg60, f.psi_some_total_us)
    full = _psi(f.psi_full_avg10, f.psi_full_avg60, f.psi_full_total_us)
    return {
        "source": f.source,
        "path": f.path,
        "workingSet": f.working_set,
        "anon": f.anon,
        "file": f.file,
        "activeFile": f.active_file,
        "inactiveFile": f.inactive_file,
        "shmem": f.shmem,
        "kernel": f.kernel,
        "sock": f.sock,
        "reclaimable": f.reclaimable,
        "unreclaimable": f.unreclaimable,
        "usage": f.usage,
        "limit": f.limit,
        "peak": f.peak,
        "swap": f.swap,
        "oomKills": f.oom_kills,
        "oomKillsFile": f.oom_kills_file,
        "oomKillsScope": f.oom_kills_scope,
        "oomKillsNotCounted": f.oom_kills_not_counted,
        "ooms": f.ooms,
        "oomGroupKills": f.oom_group_kills,
        "pageFaults": f.page_faults,
        "majorPageFaults": f.major_page_faults,
        "psi": None if some is None and full is None else {"some": some, "full": full},
    }


def node_figures_doc(n: NodeCgroup) -> Obj:
    """The node's own memory figures as JSON (the `cgroup` of a node in `top`/`nodes`)."""
    return {
        "source": n.source,
        "memoryAvailable": n.memory_available,
        "memTotal": n.mem_total,
        "memAvailable": n.mem_available,
        "rootWorkingSet": n.root_working_set,
        "podsWorkingSet": n.pods_working_set,
        "podsLimit": n.pods_limit,
        "podsAvailable": n.pods_available,
        "cgroupVersion": n.cgroup_version,
        "truncated": n.truncated,
        "root": None if n.root is None else figures_doc(n.root),
    }


def node_doc(node: str, snap: CgroupSnapshot | None, rows_: Sequence[Row], summary: Obj | None) -> Obj:
    if snap is None:
        return {"node": node, "source": "summary", "summary": summary}
    n = snap.node
    pods: list[Obj] = []
    for r in rows_:
        if not r.container:
            pods.append({"pod": r.pod, "qos": r.qos or None, "memory": figures_doc(r.cg), "containers": []})
        elif pods and r.state is not None:
            pods[-1]["containers"].append(
                {"name": r.container, "running": False, "state": r.state, "memory": None}
            )
        elif pods:
            pods[-1]["containers"].append({"name": r.container, "running": True, "memory": figures_doc(r.cg)})
    return {
        "node": node,
        "source": "cgroups",
        "cgroupVersion": snap.cgroup_version,
        "oomEvents": snap.oom_events,
        "truncated": snap.truncated,
        "memoryAvailable": None if n is None else n.available,
        "memTotal": None if n is None else n.mem_total,
        "rootWorkingSet": None if n is None else n.root_working_set,
        "podsWorkingSet": None if n is None else n.pods_working_set,
        "podsLimit": None if n is None else n.pods_limit,
        "pods": pods,
    }


def document(items: list[Obj], *, context: str, warnings: Iterable[str] = ()) -> Obj:
    return {
        "apiVersion": API_VERSION,
        "kind": "CgroupMemoryList",
        "metadata": {"context": context},
        "items": items,
        "warnings": [{"source": "cgroups", "message": m} for m in warnings],
    }
