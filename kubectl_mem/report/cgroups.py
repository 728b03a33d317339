"""`kubectl mem cgroups`: the kernel's breakdown per pod and container, and the node's memory.available.

Rows come from a `CgroupSnapshot` (collector pod or --from-dir) joined with the pods of the node
(UID → namespace/name, container ID → container name). A node collected only through the Summary
API (no permission to create pods) shows what the kubelet reports and nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kubectl_mem.model.cgroup import CgroupMemory, CgroupSnapshot
from kubectl_mem.report.document import API_VERSION
from kubectl_mem.report.fmt import size

Obj = dict[str, Any]


@dataclass(frozen=True)
class Row:
    node: str
    pod: str  # namespace/name, or the UID of a pod the API did not list
    container: str  # "" for the pod's own cgroup
    qos: str
    cg: CgroupMemory

    @property
    def psi_some_avg10(self) -> float | None:
        p = self.cg.pressure
        return p.some.avg10 if p is not None and p.some is not None else None

    @property
    def oom_kills(self) -> int | None:
        return self.cg.events.oom_kill if self.cg.events is not None else None


def _names(pods: Iterable[Obj]) -> tuple[dict[str, str], dict[str, str]]:
    """UID -> ns/name and container ID -> container name, from pod objects."""
    by_uid, by_cid = {}, {}
    for p in pods:
        md = p.get("metadata", {})
        by_uid[md.get("uid", "")] = f"{md.get('namespace', '')}/{md.get('name', '')}"
        st = p.get("status", {})
        for cs in (st.get("containerStatuses") or []) + (st.get("initContainerStatuses") or []):
            cid = (cs.get("containerID") or "").split("://", 1)[-1]
            if cid:
                by_cid[cid] = cs.get("name", "")
    return by_uid, by_cid


def rows(node: str, snap: CgroupSnapshot, pods: Iterable[Obj], *, only: str | None = None) -> list[Row]:
    """Pod and container rows; `only` = "ns/name" keeps one pod."""
    by_uid, by_cid = _names(pods)
    out = []
    for uid, pc in snap.pods.items():
        name = by_uid.get(uid, uid)
        if only is not None and name != only:
            continue
        qos = pc.qos or ""
        out.append(Row(node, name, "", qos, pc.cgroup))
        for child in pc.children:
            cid = child.container_id or ""
            cname = by_cid.get(cid) or ("(sandbox)" if cid else child.name)
            out.append(Row(node, name, cname, qos, child))
    return out


_COLUMNS: tuple[tuple[str, str], ...] = (
    ("WORKING-SET", "working_set"),
    ("ANON", "anon"),
    ("FILE", "file"),
    ("ACTIVE-F", "active_file"),
    ("INACTIVE-F", "inactive_file"),
    ("SHMEM", "shmem"),
    ("KERNEL", "kernel"),
    ("SOCK", "sock"),
    ("RECLAIMABLE", "reclaimable"),
    ("UNRECLAIMABLE", "unreclaimable"),
)


def table(rows_: Sequence[Row], *, headers: bool = True) -> str:
    head = [
        "NODE",
        "POD",
        "CONTAINER",
        "QOS",
        *(t for t, _ in _COLUMNS),
        "PEAK",
        "LIMIT",
        "OOM-KILLS",
        "PSI10",
    ]
    cells = []
    for r in rows_:
        b = r.cg.breakdown
        psi = r.psi_some_avg10
        cells.append(
            [
                r.node,
                r.pod,
                r.container or "(pod)",
                r.qos or "-",
                *(size(getattr(b, f)) for _, f in _COLUMNS),
                size(r.cg.peak),
                size(r.cg.limit, missing="max"),
                "-" if r.oom_kills is None else str(r.oom_kills),
                "-" if psi is None else f"{psi:.2f}",
            ]
        )
    if headers:
        cells.insert(0, head)
    if not cells:
        return ""
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    left = 4  # NODE, POD, CONTAINER, QOS
    lines = []
    for c in cells:
        parts = [t.ljust(widths[i]) if i < left else t.rjust(widths[i]) for i, t in enumerate(c)]
        lines.append("   ".join(parts).rstrip())
    return "\n".join(lines) + "\n"


def node_line(node: str, snap: CgroupSnapshot) -> str:
    n = snap.node
    if n is None or n.available is None:
        return f"node {node}: memory.available unknown (no /proc/meminfo or root cgroup in the output)"
    return (
        f"node {node}: memory.available {size(n.available)} (MemTotal {size(n.mem_total)} - root working set "
        f"{size(n.root_working_set)}, as the kubelet computes it); "
        f"pods working set {size(n.pods_working_set)} of {size(n.pods_limit, missing='max')}; "
        f"cgroup {snap.cgroup_version}"
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


def _cg_doc(cg: CgroupMemory) -> Obj:
    b = cg.breakdown
    p = cg.pressure
    return {
        "path": cg.path,
        "workingSet": b.working_set,
        "anon": b.anon,
        "file": b.file,
        "activeFile": b.active_file,
        "inactiveFile": b.inactive_file,
        "shmem": b.shmem,
        "kernel": b.kernel,
        "sock": b.sock,
        "reclaimable": b.reclaimable,
        "unreclaimable": b.unreclaimable,
        "usage": cg.usage,
        "limit": cg.limit,
        "peak": cg.peak,
        "swap": cg.swap,
        "oomKills": cg.events.oom_kill if cg.events is not None else None,
        "ooms": cg.events.oom if cg.events is not None else None,
        "psi": None
        if p is None
        else {
            k: None
            if line is None
            else {"avg10": line.avg10, "avg60": line.avg60, "totalMicroseconds": line.total_us}
            for k, line in (("some", p.some), ("full", p.full))
        },
    }


def node_doc(node: str, snap: CgroupSnapshot | None, rows_: Sequence[Row], summary: Obj | None) -> Obj:
    if snap is None:
        return {"node": node, "source": "summary", "summary": summary}
    n = snap.node
    pods: list[Obj] = []
    for r in rows_:
        if not r.container:
            pods.append({"pod": r.pod, "qos": r.qos or None, "memory": _cg_doc(r.cg), "containers": []})
        elif pods:
            pods[-1]["containers"].append({"name": r.container, "memory": _cg_doc(r.cg)})
    return {
        "node": node,
        "source": "cgroups",
        "cgroupVersion": snap.cgroup_version,
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
