"""Synthetic cgroup trees written as real files, in the layouts kubelets and runtimes create (the
simulated cluster builds its nodes' trees with them; the collector tests and benchmark too).

`build_node(root, Layout(...), pods)` writes a node's /sys/fs/cgroup under `root` (v2, v1 or
hybrid; systemd or cgroupfs driver; containerd, CRI-O or docker naming; optional custom cgroup
root) and returns what the collector should find: per pod and container the cgroup path and the
exact numbers written, so tests compare the parsed records with them.

File contents follow the kernel's formats (key order of a 6.x memory.stat, v1's local and
total_* keys, memory.events, PSI lines); the numbers of a parent are the sums of its children, as
the kernel's hierarchical counters are.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

V1_UNLIMITED = 9223372036854771712
MiB = 1024 * 1024
PAGE = 4096

Version = Literal["v2", "v1", "hybrid"]
Driver = Literal["systemd", "cgroupfs"]
Runtime = Literal["containerd", "crio", "docker"]
Qos = Literal["guaranteed", "burstable", "besteffort"]


@dataclass(frozen=True)
class Mem:
    """One cgroup's memory, in bytes; events and PSI as the kernel counts them."""

    anon: int = 0
    active_file: int = 0
    inactive_file: int = 0
    shmem: int = 0
    kernel_stack: int = 0
    pagetables: int = 0
    slab_reclaimable: int = 0
    slab_unreclaimable: int = 0
    percpu: int = 0
    vmalloc: int = 0
    sock: int = 0
    swap: int = 0
    pgfault: int = 0
    pgmajfault: int = 0
    oom: int = 0
    oom_kill: int = 0
    max_events: int = 0
    psi_some_total: int = 0
    psi_full_total: int = 0

    @property
    def file(self) -> int:
        return self.active_file + self.inactive_file + self.shmem

    @property
    def slab(self) -> int:
        return self.slab_reclaimable + self.slab_unreclaimable

    @property
    def kernel(self) -> int:
        return self.kernel_stack + self.pagetables + self.percpu + self.vmalloc + self.slab

    @property
    def usage(self) -> int:
        """memory.current: anon + file + kernel + sock."""
        return self.anon + self.file + self.kernel + self.sock

    @property
    def usage_v1(self) -> int:
        """v1 usage_in_bytes without kmem accounting: rss + cache."""
        return self.anon + self.file

    def __add__(self, other: Mem) -> Mem:
        return Mem(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in dataclasses.fields(Mem)}
        )


def sample(seed: int, *, anon_mib: int = 50) -> Mem:
    """A plausible container: mostly anon, some page cache, a little kernel memory."""
    return Mem(
        anon=(anon_mib + seed % 17) * MiB,
        active_file=(3 + seed % 5) * MiB,
        inactive_file=(7 + seed % 11) * MiB,
        shmem=(seed % 3) * MiB,
        kernel_stack=(4 + seed % 4) * 16384,
        pagetables=(60 + seed % 40) * PAGE,
        slab_reclaimable=300_000 + seed * 7,
        slab_unreclaimable=150_000 + seed * 3,
        percpu=4320 + seed,
        vmalloc=0,
        sock=(seed % 2) * PAGE,
        pgfault=10_000 + seed * 31,
        pgmajfault=seed % 13,
        oom=seed % 2,
        oom_kill=seed % 2,
        max_events=(seed % 2) * 5,
        psi_some_total=1000 * seed,
        psi_full_total=400 * seed,
    )


@dataclass
class Container:
    id: str  # 64 hex
    mem: Mem
    limit: int | None = None
    peak: int | None = None
    name: str = ""  # the container's name in the pod (the simulated cluster's Summary API uses it)


@dataclass
class PodSpec:
    uid: str  # dashed metadata.uid, or 32 hex for a static pod
    qos: Qos
    containers: list[Container]
    sandbox: Container | None = None
    # the pod cgroup's limit as the kubelet writes it; "sum": of the containers', when all have one
    limit: int | None | Literal["sum"] = "sum"
    # OOM kills of earlier instances of its containers, whose cgroups are gone: cgroup v2 still
    # counts them in the pod's hierarchical memory.events; v1's counters are local, so it does not
    oom_kills: int = 0
    peak: int | None = None  # the pod cgroup's high-water mark, when its history says more than now


@dataclass(frozen=True)
class NodeSpec:
    """The machine: MemTotal, the root cgroup's working set (what the kubelet's memory.available and
    NodeMetrics come from; None: the pods plus a fixed system share) and the kubepods cgroup's limit."""

    mem_total: int = 16337584 * 1024
    working_set: int | None = None
    pods_limit: int | None = 15 * 1024 * 1024 * 1024


@dataclass(frozen=True)
class Layout:
    version: Version = "v2"
    driver: Driver = "systemd"
    runtime: Runtime = "containerd"
    # a custom cgroup root: path components above the kubepods cgroup. For systemd the slice names
    # are prefixed as the kubelet does (`kubelet.slice/kubelet-kubepods.slice`).
    cgroup_root: tuple[str, ...] = ()
    qos_cgroups: bool = True  # False: cgroupsPerQOS=false, pods directly under the root
    conmon: bool = False  # CRI-O conmon scopes next to the containers


@dataclass
class Expected:
    """What the collector should report."""

    memroot: Path  # the memory hierarchy on disk
    kubepods: str | None  # "/"-rooted, relative to the memory hierarchy
    pods: dict[str, str] = field(default_factory=dict)  # uid -> pod cgroup path
    containers: dict[str, str] = field(default_factory=dict)  # container id -> path
    mem: dict[str, Mem] = field(default_factory=dict)  # path -> Mem written
    limits: dict[str, int | None] = field(default_factory=dict)  # path -> limit written (None = max)
    qos: dict[str, Qos] = field(default_factory=dict)  # uid -> tier
    root_mem: Mem = Mem()


def hex_id(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def pod_uid(n: int) -> str:
    h = hashlib.md5(f"pod-{n}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def make_pods(count: int, containers_per_pod: int = 3, *, seed: int = 0) -> list[PodSpec]:
    """`count` pods cycling through the QoS tiers, each with a sandbox and N containers."""
    tiers: tuple[Qos, ...] = ("guaranteed", "burstable", "besteffort")
    pods = []
    for i in range(count):
        qos = tiers[i % 3]
        ctrs = []
        for j in range(containers_per_pod):
            s = seed + i * 10 + j
            m = sample(s)
            limit = 256 * MiB if qos == "guaranteed" or (qos == "burstable" and j == 0) else None
            ctrs.append(Container(hex_id("c", seed, i, j), m, limit, m.usage + 3 * MiB))
        sandbox = Container(hex_id("s", seed, i), Mem(anon=40960, kernel_stack=16384, pagetables=PAGE))
        pods.append(PodSpec(pod_uid(seed * 1000 + i), qos, ctrs, sandbox))
    return pods


# --- naming -----------------------------------------------------------------------------------


def _systemd_prefix(layout: Layout) -> str:
    # kubelet ToSystemd: the components of ["<root...>", "kubepods", ...] joined with "-";
    # without QoS cgroups (cgroupsPerQOS=false) there is no "kubepods" component
    root = [c.removesuffix(".slice") for c in layout.cgroup_root[-1:]]
    return "-".join([*root, "kubepods"] if layout.qos_cgroups else root)


def kubepods_parts(layout: Layout) -> list[str]:
    if not layout.qos_cgroups:
        return list(layout.cgroup_root)
    if layout.driver == "systemd":
        return [*layout.cgroup_root, _systemd_prefix(layout) + ".slice"]
    return [*layout.cgroup_root, "kubepods"]


def qos_part(layout: Layout, qos: Qos) -> str | None:
    if qos == "guaranteed" or not layout.qos_cgroups:
        return None
    if layout.driver == "systemd":
        return f"{_systemd_prefix(layout)}-{qos}.slice"
    return qos


def pod_part(layout: Layout, uid: str, qos: Qos) -> str:
    if layout.driver == "systemd":
        tier = "" if qos == "guaranteed" or not layout.qos_cgroups else f"-{qos}"
        return f"{_systemd_prefix(layout)}{tier}-pod{uid.replace('-', '_')}.slice"
    return f"pod{uid}"


def container_part(layout: Layout, cid: str, *, conmon: bool = False) -> str:
    if layout.driver == "systemd":
        prefix = {"containerd": "cri-containerd", "crio": "crio", "docker": "docker"}[layout.runtime]
        if conmon:
            prefix = "crio-conmon"
        return f"{prefix}-{cid}.scope"
    if layout.runtime == "crio":
        return f"crio-conmon-{cid}" if conmon else f"crio-{cid}"
    return cid


# --- file writers -----------------------------------------------------------------------------


def _w(d: Path, name: str, text: str) -> None:
    (d / name).write_text(text)


def _v2_stat(m: Mem, *, extra: bool = True) -> str:
    rows = [
        ("anon", m.anon),
        ("file", m.file),
        ("kernel", m.kernel),
        ("kernel_stack", m.kernel_stack),
        ("pagetables", m.pagetables),
        ("sec_pagetables", 0),
        ("percpu", m.percpu),
        ("sock", m.sock),
        ("vmalloc", m.vmalloc),
        ("shmem", m.shmem),
        ("zswap", 0),
        ("zswapped", 0),
        ("file_mapped", m.active_file // 2),
        ("file_dirty", PAGE),
        ("file_writeback", 0),
        ("swapcached", 0),
        ("anon_thp", 0),
        ("file_thp", 0),
        ("shmem_thp", 0),
        ("inactive_anon", m.anon // 4 + m.shmem),
        ("active_anon", m.anon - m.anon // 4),
        ("inactive_file", m.inactive_file),
        ("active_file", m.active_file),
        ("unevictable", 0),
        ("slab_reclaimable", m.slab_reclaimable),
        ("slab_unreclaimable", m.slab_unreclaimable),
        ("slab", m.slab),
        ("workingset_refault_anon", 0),
        ("workingset_refault_file", 12),
        ("workingset_activate_anon", 0),
        ("workingset_activate_file", 3),
        ("workingset_restore_anon", 0),
        ("workingset_restore_file", 1),
        ("workingset_nodereclaim", 0),
        ("pgscan", 40),
        ("pgsteal", 38),
        ("pgfault", m.pgfault),
        ("pgmajfault", m.pgmajfault),
        ("pgrefill", 0),
        ("pgactivate", 11),
        ("pgdeactivate", 0),
        ("pglazyfree", 0),
        ("pglazyfreed", 0),
        ("thp_fault_alloc", 0),
        ("thp_collapse_alloc", 0),
    ]
    if extra:
        rows.append(("future_counter_nobody_knows", 77))  # new kernels add keys
    return "".join(f"{k} {v}\n" for k, v in rows)


def _v1_stat(m: Mem, local: Mem, limit: int | None) -> str:
    def rows(x: Mem) -> list[tuple[str, int]]:
        return [
            ("cache", x.file),
            ("rss", x.anon),
            ("rss_huge", 0),
            ("shmem", x.shmem),
            ("mapped_file", x.active_file // 2),
            ("dirty", PAGE),
            ("writeback", 0),
            ("swap", x.swap),
            ("pgpgin", 1000),
            ("pgpgout", 900),
            ("pgfault", x.pgfault),
            ("pgmajfault", x.pgmajfault),
            ("inactive_anon", x.anon // 4 + x.shmem),
            ("active_anon", x.anon - x.anon // 4),
            ("inactive_file", x.inactive_file),
            ("active_file", x.active_file),
            ("unevictable", 0),
        ]

    lim = V1_UNLIMITED if limit is None else limit
    out = rows(local) + [("hierarchical_memory_limit", lim), ("hierarchical_memsw_limit", V1_UNLIMITED)]
    out += [("total_" + k, v) for k, v in rows(m)]
    return "".join(f"{k} {v}\n" for k, v in out)


def _psi(some: int, full: int) -> str:
    return (
        f"some avg10=0.{some % 100:02d} avg60=0.00 avg300=0.00 total={some}\n"
        f"full avg10=0.00 avg60=0.00 avg300=0.00 total={full}\n"
    )


def write_v2(d: Path, m: Mem, *, limit: int | None, peak: int | None, root: bool = False) -> None:
    d.mkdir(parents=True, exist_ok=True)
    _w(d, "memory.stat", _v2_stat(m))
    _w(d, "memory.pressure", _psi(m.psi_some_total, m.psi_full_total))
    _w(d, "cgroup.procs", "")
    if root:
        _w(d, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n")
        return
    _w(d, "cgroup.controllers", "cpuset cpu io memory pids\n")
    _w(d, "memory.current", f"{m.usage}\n")
    _w(d, "memory.max", "max\n" if limit is None else f"{limit}\n")
    _w(d, "memory.high", "max\n")
    _w(d, "memory.min", "0\n")
    _w(d, "memory.low", "0\n")
    _w(d, "memory.oom.group", "1\n")
    if peak is not None:
        _w(d, "memory.peak", f"{peak}\n")
    _w(d, "memory.swap.current", f"{m.swap}\n")
    _w(d, "memory.swap.max", "max\n")
    _w(
        d,
        "memory.events",
        f"low 0\nhigh 0\nmax {m.max_events}\noom {m.oom}\noom_kill {m.oom_kill}\noom_group_kill 0\n",
    )
    _w(d, "memory.events.local", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n")


def write_v1(d: Path, m: Mem, local: Mem, *, limit: int | None, peak: int | None) -> None:
    d.mkdir(parents=True, exist_ok=True)
    _w(d, "memory.stat", _v1_stat(m, local, limit))
    _w(d, "memory.usage_in_bytes", f"{m.usage_v1}\n")
    _w(d, "memory.limit_in_bytes", f"{V1_UNLIMITED if limit is None else limit}\n")
    _w(d, "memory.max_usage_in_bytes", f"{peak if peak is not None else m.usage_v1}\n")
    _w(d, "memory.memsw.usage_in_bytes", f"{m.usage_v1 + m.swap}\n")
    # v1 counts limit hits and OOM kills in the cgroup where they happen, not in its parents (the
    # kernel's memcg_memory_event stops at once unless the hierarchy is cgroup v2)
    _w(d, "memory.failcnt", f"{local.max_events}\n")
    _w(d, "memory.oom_control", f"oom_kill_disable 0\nunder_oom 0\noom_kill {local.oom_kill}\n")
    _w(d, "memory.use_hierarchy", "1\n")
    _w(d, "memory.soft_limit_in_bytes", f"{V1_UNLIMITED}\n")
    _w(d, "cgroup.procs", "")
    _w(d, "tasks", "")


# The meminfo of the default machine (NodeSpec()); other machines get theirs from meminfo_text().
MEMINFO = """MemTotal:       16337584 kB
MemFree:         1203344 kB
MemAvailable:    9876544 kB
Buffers:          212040 kB
Cached:          8123400 kB
SwapCached:            0 kB
Active:          6120336 kB
Inactive:        7043212 kB
Active(file):    2901232 kB
Inactive(file):  5022216 kB
SwapTotal:             0 kB
SwapFree:              0 kB
Shmem:            101220 kB
SReclaimable:     512300 kB
SUnreclaim:       201220 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
"""
MEMTOTAL = 16337584 * 1024
DEFAULT_SYSTEM = Mem(anon=300 * MiB, active_file=500 * MiB, inactive_file=900 * MiB, shmem=20 * MiB)


def meminfo_text(mem_total: int, root: Mem) -> str:
    """/proc/meminfo of a machine whose root cgroup holds `root`: the fields the collector reads
    and the main ones beside them, consistent with each other and never above MemTotal."""
    kernel = root.kernel or 64 * MiB
    used = min(root.usage_v1 + kernel, mem_total)
    free = mem_total - used
    available = min(free + root.inactive_file + root.active_file // 2 + root.slab_reclaimable, mem_total)
    rows = [
        ("MemTotal", mem_total),
        ("MemFree", free),
        ("MemAvailable", available),
        ("Buffers", 0),
        ("Cached", root.file),
        ("SwapCached", 0),
        ("Active", root.anon - root.anon // 4 + root.active_file),
        ("Inactive", root.anon // 4 + root.inactive_file),
        ("Active(file)", root.active_file),
        ("Inactive(file)", root.inactive_file),
        ("SwapTotal", 0),
        ("SwapFree", 0),
        ("Shmem", root.shmem),
        ("SReclaimable", root.slab_reclaimable),
        ("SUnreclaim", root.slab_unreclaimable),
    ]
    text = "".join(f"{k + ':':<16}{v // 1024:>8} kB\n" for k, v in rows)
    return text + "HugePages_Total:       0\nHugepagesize:       2048 kB\n"


def system_share(kubepods: Mem, node: NodeSpec) -> Mem:
    """What the root cgroup holds outside the pods, so that its working set is the node's: the
    kernel's (v2: runc's anon + file; v1: usage_in_bytes) minus inactive_file, as the kubelet
    computes memory.available (reference §2.2). Some page cache besides, within MemTotal."""
    if node.working_set is None:
        return DEFAULT_SYSTEM
    pods_ws = kubepods.anon + kubepods.file - kubepods.inactive_file
    share = max(node.working_set - pods_ws, 0)
    room = node.mem_total - node.working_set - kubepods.inactive_file - 256 * MiB
    cache = max(min(node.mem_total // 10, room), 0)
    anon = share * 2 // 5
    return Mem(anon=anon, active_file=share - anon, inactive_file=cache)


def pod_limit(pod: PodSpec) -> int | None:
    if pod.limit != "sum":
        return pod.limit
    limits = [c.limit for c in pod.containers]
    return sum(x for x in limits if x) if limits and all(limits) else None


# --- the node ---------------------------------------------------------------------------------


def build_node(
    root: Path, layout: Layout, pods: list[PodSpec], *, meminfo: bool = True, node: NodeSpec | None = None
) -> Expected:
    """Write the node's cgroup tree under `root` (the copy of /sys/fs/cgroup) for the machine `node`
    (default: NodeSpec(), a 16 GiB machine whose system share is fixed)."""
    machine = node or NodeSpec()
    root.mkdir(parents=True, exist_ok=True)
    if layout.version == "v2":
        memroot = root
    else:
        memroot = root / "memory"
        for ctl in ("cpu,cpuacct", "pids", "systemd"):
            (root / ctl).mkdir(exist_ok=True)
    if layout.version == "hybrid":
        (root / "unified").mkdir(exist_ok=True)
        _w(root / "unified", "cgroup.controllers", "")
        _w(root / "unified", "memory.pressure", _psi(5, 2))

    kp_parts = kubepods_parts(layout)
    kp_path = "/" + "/".join(kp_parts) if kp_parts else "/"
    exp = Expected(memroot=memroot, kubepods=kp_path if layout.qos_cgroups else None)
    # cgroup path -> (Mem, local Mem, limit, peak)
    cgs: dict[str, tuple[Mem, Mem, int | None, int | None]] = {}
    tiers: dict[str, Mem] = {}
    kp_total = Mem()

    for pod in pods:
        qp = qos_part(layout, pod.qos)
        pod_path = "/".join(["", *kp_parts, *([qp] if qp else []), pod_part(layout, pod.uid, pod.qos)])
        pod_path = pod_path.replace("//", "/")
        total = Mem()
        children = list(pod.containers) + ([pod.sandbox] if pod.sandbox else [])
        for c in children:
            path = f"{pod_path}/{container_part(layout, c.id)}"
            cgs[path] = (c.mem, c.mem, c.limit, c.peak)
            exp.mem[path] = c.mem
            exp.limits[path] = c.limit
            if c is not pod.sandbox:
                exp.containers[c.id] = path
            total = total + c.mem
            if layout.conmon and layout.runtime == "crio":
                cm = Mem(anon=2 * MiB, kernel_stack=16384)
                cpath = f"{pod_path}/{container_part(layout, c.id, conmon=True)}"
                cgs[cpath] = (cm, cm, None, None)
                exp.mem[cpath] = cm
                total = total + cm
        # the kills of instances gone count in the pod's hierarchical events (v2), not in its own
        total = total + Mem(oom=pod.oom_kills, oom_kill=pod.oom_kills, max_events=pod.oom_kills)
        limit = pod_limit(pod)
        # the pod's high-water mark: at least what it holds now and no child's above it; its
        # children did not all peak at once, but it never passes its own limit
        peaks = [c.peak if c.peak is not None else c.mem.usage for c in children]
        peak = max(sum(peaks), total.usage, pod.peak or 0)
        peak = min(peak, max(limit, total.usage)) if limit is not None else peak
        cgs[pod_path] = (total, Mem(), limit, peak)
        exp.pods[pod.uid] = pod_path
        exp.mem[pod_path] = total
        exp.limits[pod_path] = limit
        exp.qos[pod.uid] = pod.qos
        if qp:
            tp = "/" + "/".join([*kp_parts, qp])
            tiers[tp] = tiers.get(tp, Mem()) + total
        kp_total = kp_total + total

    for tp, m in tiers.items():
        cgs[tp] = (m, Mem(), None, None)
        exp.mem[tp] = m
    # the system's own cgroups, and the root (which holds everything)
    system = system_share(kp_total, machine)
    if layout.qos_cgroups:
        kp_limit = machine.pods_limit
        cgs[kp_path] = (kp_total, Mem(), kp_limit, None)
        exp.mem[kp_path] = kp_total
        exp.limits[kp_path] = kp_limit
    # parents of a custom root, and decoys the search must walk past
    for i in range(len(layout.cgroup_root)):
        p = "/" + "/".join(layout.cgroup_root[: i + 1])
        cgs.setdefault(p, (kp_total, Mem(), None, None))
    decoys = ["system.slice", "system.slice/containerd.service", "system.slice/kubelet.service"]
    decoys += ["user.slice", "init.scope"] if layout.driver == "systemd" else ["system.slice/sshd.service"]
    for dcy in decoys:  # each holds a part of the system share, never more than the root has
        part = Mem(anon=min(10 * MiB, system.anon // (2 * len(decoys))))
        cgs.setdefault("/" + dcy, (part, part, None, None))
    root_mem = kp_total + system
    exp.root_mem = root_mem

    for path, (m, local, limit, peak) in sorted(cgs.items()):
        d = memroot / path.lstrip("/")
        if layout.version == "v2":
            write_v2(d, m, limit=limit, peak=peak)
        else:
            write_v1(d, m, local, limit=limit, peak=peak)
            if layout.version == "hybrid" and layout.driver == "systemd":
                u = root / "unified" / path.lstrip("/")
                u.mkdir(parents=True, exist_ok=True)
                _w(u, "memory.pressure", _psi(m.psi_some_total, m.psi_full_total))
                _w(u, "cgroup.procs", "")
    if layout.version == "v2":
        write_v2(memroot, root_mem, limit=None, peak=None, root=True)
    else:
        write_v1(memroot, root_mem, system, limit=None, peak=None)
        _w(memroot, "memory.limit_in_bytes", f"{V1_UNLIMITED}\n")
    if meminfo:
        _w(root, "meminfo", MEMINFO if node is None else meminfo_text(machine.mem_total, root_mem))
    return exp
