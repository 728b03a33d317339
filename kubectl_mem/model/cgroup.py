"""Parse the cgroup collector's output into typed records, and derive what the kernel's numbers mean.

PURE: takes the text `kubectl_mem/kube/collector.sh` printed (from a collector pod's log, or from
`--from-dir`, see `kubectl_mem/kube/cgroup_dir.py`), never touches files or processes. The format
is documented at the top of collector.sh; in short: directives start with `@`, a block per cgroup
(`@cg KIND PATH` or `@ctr NAME` for a child of the last pod), data lines `S`/`s` (memory.stat),
`m` (current/usage, max/limit, peak, swap, high/failcnt), `e` (v2 memory.events), `o` (v1
memory.oom_control), `p` (PSI), `mi` (/proc/meminfo), and `@end N` last.

Semantics (reference: shared/reference/kubernetes-memory.md):
- working set = usage - inactive_file (v1: total_inactive_file), floored at 0, and = usage when the
  key is absent: cAdvisor `setMemoryStats`, §4.1.
- node memory.available = MemTotal - root working set, the kubelet's signal (§2.2). The v2 root
  has no memory.current; its usage is anon + file from the root memory.stat, as runc computes it.
- limits: "max" (v2) and anything >= 2**62 (v1's unlimited sentinel 9223372036854771712) are
  None, the kubelet's `isMemoryUnlimited` (§2.2).
- reclaimable = inactive_file + active_file + slab_reclaimable; unreclaimable = anon + shmem +
  kernel_stack + pagetables + sec_pagetables + percpu + vmalloc + slab_unreclaimable + sock
  (§5.1 "Reclaimable vs unreclaimable"). Choices:
  * shmem (tmpfs, `emptyDir: {medium: Memory}`) is counted in `file` but sits on the anon LRU and is
    only freed by deleting the files, so it is unreclaimable; it is not in active/inactive_file, so
    nothing is counted twice.
  * kernel pieces are summed one by one rather than taking `kernel`, which also holds
    slab_reclaimable; `unevictable` is left out because it is a list counter overlapping anon and
    shmem (mlocked pages), and adding it would count them twice.
  * active_file counts as reclaimable although the working set (and so eviction and `kubectl top`)
    includes it: the kernel can drop it under pressure, which is what "explain" needs to say.
  * v1 memory.stat has no kernel breakdown: unreclaimable is total_rss + total_shmem there, and the
    kernel fields are None.

Mapping to pods (the API for the later "attach to pods" step):
- `CgroupSnapshot.pod(uid)` -> `PodCgroups | None`, by `metadata.uid` (dashes or the systemd
  underscores, any case).
- `PodCgroups.container(container_id)` / `CgroupSnapshot.container(container_id)` ->
  `CgroupMemory | None`, by `status.containerStatuses[].containerID` as the API gives it
  (`containerd://…`, `cri-o://…`, `docker://…`) or bare.
- `PodCgroups.others(known_ids)`: the pod's child cgroups that no status names, i.e. the sandbox
  (pause) container, CRI-O conmon scopes, or containers that already exited.
"""

from __future__ import annotations

from typing import Literal

import msgspec

FORMAT_VERSION = 1
MAGIC = "@kubectl-mem-cgroups"
UNLIMITED_FROM = 2**62  # the kubelet's isMemoryUnlimited: a limit above this is "no limit"
V1_UNLIMITED = 9223372036854771712  # what cgroup v1 shows for "no limit" (PAGE_COUNTER_MAX pages)
MAX_PROBLEMS = 30  # beyond this, problems are counted, not listed

CgroupKind = Literal["root", "kubepods", "qos", "pod", "container", "other"]
QosTier = Literal["guaranteed", "burstable", "besteffort"]
CgroupVersion = Literal["v1", "v2", "hybrid", "none", "unknown"]

_V2_M = ("current", "max", "peak", "swap", "high")
_V1_M = ("usage", "limit", "max_usage", "memsw", "failcnt")
_V2_EVENTS = ("low", "high", "max", "oom", "oom_kill", "oom_group_kill")
_V1_OOM = ("oom_kill_disable", "under_oom", "oom_kill")
_RUNTIME_PREFIXES = (
    ("cri-containerd-", "containerd"),
    ("crio-conmon-", "cri-o"),
    ("crio-", "cri-o"),
    ("docker-", "docker"),
    ("libpod-", "podman"),
)
_STATUS_SCHEMES = {"containerd": "containerd", "cri-o": "cri-o", "docker": "docker", "podman": "podman"}
_HEX = frozenset("0123456789abcdef")
_DIRECTIVES = frozenset(("@info", "@keys", "@meminfo", "@kubepods", "@cg", "@ctr", "@end"))


class MemoryEvents(msgspec.Struct, frozen=True, gc=False):
    """v2 memory.events (hierarchical), or what v1 has of it (memory.oom_control). None: not
    reported by this kernel or cgroup version."""

    low: int | None = None
    high: int | None = None
    max: int | None = None
    oom: int | None = None
    oom_kill: int | None = None  # processes killed by the OOM killer (v1: since Linux 4.13)
    oom_group_kill: int | None = None
    under_oom: bool | None = None  # v1 only
    oom_kill_disable: bool | None = None  # v1 only


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


# ---------------------------------------------------------------------------------------------
# small pure helpers (public: the attach step and the renderers use them)


def normalize_pod_uid(uid: str) -> str:
    """`metadata.uid` or the systemd-escaped form (underscores) -> lower case with dashes."""
    return uid.strip().lower().replace("_", "-")


def split_container_id(container_id: str) -> tuple[str | None, str]:
    """`containerd://abc` -> ("containerd", "abc"); a bare id -> (None, id)."""
    cid = container_id.strip()
    scheme, sep, rest = cid.partition("://")
    if not sep:
        return None, cid.lower()
    return _STATUS_SCHEMES.get(scheme.lower(), scheme.lower()), rest.lower()


def _is_hex_id(s: str) -> bool:
    return len(s) >= 12 and all(ch in _HEX for ch in s)


def container_from_cgroup_name(name: str) -> tuple[str | None, str | None, bool]:
    """A container cgroup's name -> (runtime, bare id, is CRI-O conmon).

    `cri-containerd-<id>.scope`, `crio-<id>.scope`, `crio-conmon-<id>.scope`, `docker-<id>.scope`,
    `libpod-<id>.scope` (systemd driver); `<id>` and `crio-<id>` (cgroupfs). (None, None, False)
    when the name is none of these.
    """
    base = name[: -len(".scope")] if name.endswith(".scope") else name
    for prefix, runtime in _RUNTIME_PREFIXES:
        if base.startswith(prefix):
            ident = base[len(prefix) :].lower()
            if _is_hex_id(ident):
                return runtime, ident, prefix == "crio-conmon-"
            return None, None, False
    if _is_hex_id(base.lower()):
        return None, base.lower(), False
    return None, None, False


def pod_uid_from_cgroup_name(name: str) -> str | None:
    """`pod<uid>` (cgroupfs) or `kubepods-<tier>-pod<uid_>.slice` (systemd) -> dashed uid."""
    if name.endswith(".slice") and "-pod" in name:
        raw = name[: -len(".slice")].rsplit("-pod", 1)[1]
    elif name.startswith("pod"):
        raw = name[3:]
    else:
        return None
    uid = normalize_pod_uid(raw)
    if uid and all(ch in _HEX or ch == "-" for ch in uid):
        return uid
    return None


def qos_from_cgroup_name(name: str) -> QosTier | None:
    base = name[: -len(".slice")] if name.endswith(".slice") else name
    if base == "burstable" or base.endswith("-burstable"):
        return "burstable"
    if base == "besteffort" or base.endswith("-besteffort"):
        return "besteffort"
    return None


def parse_limit(value: str | int | None) -> int | None:
    """memory.max / limit_in_bytes -> bytes, None for "max", v1's sentinel or >= 2**62."""
    if value is None:
        return None
    if isinstance(value, str):
        v = value.strip()
        if v in ("", "-", "max"):
            return None
        value = int(v)
    return None if value >= UNLIMITED_FROM else value


def working_set(usage: int | None, inactive_file: int | None) -> int | None:
    """cAdvisor: usage - inactive_file, floored at 0; usage itself when the key is absent."""
    if usage is None:
        return None
    if inactive_file is None:
        return usage
    return max(usage - inactive_file, 0)


def _sum(*parts: int | None) -> int | None:
    known = [p for p in parts if p is not None]
    return sum(known) if known else None


def breakdown(stat: dict[str, int], usage: int | None, v1: bool) -> Breakdown:
    """The memory.stat of one cgroup (v1: the hierarchical total_* keys, else the local ones)."""
    if v1:

        def g(key: str) -> int | None:
            v = stat.get("total_" + key)
            return stat.get(key) if v is None else v

        anon, file, shmem = g("rss"), g("cache"), g("shmem")
        active_file, inactive_file = g("active_file"), g("inactive_file")
        unrecl = _sum(anon, shmem)
        recl = _sum(inactive_file, active_file)
        return Breakdown(
            anon=anon,
            file=file,
            active_file=active_file,
            inactive_file=inactive_file,
            shmem=shmem,
            working_set=working_set(usage, inactive_file),
            reclaimable=recl,
            unreclaimable=unrecl,
        )
    g = stat.get
    parts = {k: g(k) for k in ("kernel_stack", "pagetables", "percpu", "vmalloc")}
    slab_r, slab_u = g("slab_reclaimable"), g("slab_unreclaimable")
    kernel = g("kernel")
    if kernel is None:
        kernel = _sum(*parts.values(), g("sec_pagetables"), slab_r, slab_u)
    return Breakdown(
        anon=g("anon"),
        file=g("file"),
        active_file=g("active_file"),
        inactive_file=g("inactive_file"),
        shmem=g("shmem"),
        kernel=kernel,
        kernel_stack=parts["kernel_stack"],
        pagetables=parts["pagetables"],
        slab_reclaimable=slab_r,
        slab_unreclaimable=slab_u,
        percpu=parts["percpu"],
        vmalloc=parts["vmalloc"],
        sock=g("sock"),
        working_set=working_set(usage, g("inactive_file")),
        reclaimable=_sum(g("inactive_file"), g("active_file"), slab_r),
        unreclaimable=_sum(g("anon"), g("shmem"), *parts.values(), g("sec_pagetables"), slab_u, g("sock")),
    )


# ---------------------------------------------------------------------------------------------
# the parser


class _Block:
    """One cgroup's lines while they are read."""

    __slots__ = ("kind", "path", "name", "lineno", "stat", "m", "e", "o", "p", "parent")

    def __init__(self, kind: str, path: str, lineno: int, parent: str | None = None) -> None:
        self.kind = kind
        self.path = path
        self.name = path.rstrip("/").rsplit("/", 1)[-1] if path != "/" else ""
        self.lineno = lineno
        self.parent = parent  # the pod path, for @ctr
        self.stat: dict[str, int] = {}
        self.m: tuple[str, ...] | None = None
        self.e: tuple[str, ...] | None = None
        self.o: tuple[str, ...] | None = None
        self.p: tuple[str, ...] | None = None


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.extra = 0

    def add(self, msg: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(msg)
        else:
            self.extra += 1

    def result(self) -> tuple[str, ...]:
        if self.extra:
            return (*self.items, f"... and {self.extra} more problems")
        return tuple(self.items)


def _int(v: str) -> int | None:
    return None if v == "-" else int(v)


def _path(rel: str) -> str:
    rel = rel.strip()
    if rel in ("", "."):
        return "/"
    return "/" + rel.strip("/")


def _excerpt(line: str) -> str:
    return line if len(line) <= 80 else line[:77] + "..."


def parse_cgroup_dump(text: str) -> CgroupSnapshot:
    """Parse collector output. Never raises on bad input: what is whole is kept, the rest is
    described in `problems`, and `truncated` says the output was cut."""
    problems = _Problems()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    elif lines and text:
        # no final newline: the last line may be cut anywhere, even inside a number
        problems.add(f"last line is incomplete, ignored: {_excerpt(lines[-1])!r}")
        lines.pop()

    start = next((i for i, ln in enumerate(lines) if ln.split(" ", 1)[0] == MAGIC), None)
    if start is None:
        problems.add("not kubectl-mem collector output: no '@kubectl-mem-cgroups' header line")
        return CgroupSnapshot(truncated=True, problems=problems.result())
    if start:
        problems.add(f"{start} line(s) before the header ignored")
    version: int | None = None
    head = lines[start].split()
    if len(head) >= 2 and head[1].isdigit():
        version = int(head[1])
        if version > FORMAT_VERSION:
            problems.add(f"format version {version} is newer than {FORMAT_VERSION}; parsed as far as known")
    else:
        problems.add("header line has no format version")

    cg_version: CgroupVersion = "unknown"
    memroot: str | None = None
    psi_root: str | None = None
    keys: tuple[str, ...] = ()
    meminfo: dict[str, int] = {}
    kubepods: str | None = None
    kubepods_seen = False
    blocks: list[_Block] = []
    cur: _Block | None = None
    in_meminfo = False
    pod_path: str | None = None
    end_count: int | None = None
    after_end = 0

    for lineno in range(start + 1, len(lines)):
        line = lines[lineno]
        n = lineno + 1
        if end_count is not None:
            if line.strip():
                after_end += 1
            continue
        if not line.strip():
            continue
        tag, _, rest = line.partition(" ")
        try:
            if tag in ("@warn", "@") or (tag.startswith("@") and tag not in _DIRECTIVES):
                # a warning, or a directive of a newer format: noted, the current block goes on
                problems.add(
                    rest.strip() if tag == "@warn" else f"line {n}: unknown directive {tag!r} ignored"
                )
                continue
            if tag.startswith("@"):
                cur = None
                in_meminfo = False
                if tag == "@info":
                    fields = dict(f.partition("=")[::2] for f in rest.split())
                    v = fields.get("cgroup", "unknown")
                    cg_version = v if v in ("v1", "v2", "hybrid", "none") else "unknown"  # type: ignore[assignment]
                    memroot = fields.get("memroot") if fields.get("memroot") not in (None, "-") else None
                    psi_root = fields.get("psi") if fields.get("psi") not in (None, "-") else None
                elif tag == "@keys":
                    keys = tuple(rest.split())
                elif tag == "@meminfo":
                    in_meminfo = True
                elif tag == "@kubepods":
                    kubepods_seen = True
                    kubepods = None if rest.strip() in ("", "-") else _path(rest)
                elif tag == "@cg":
                    kind, _, rel = rest.partition(" ")
                    if kind not in ("root", "kubepods", "qos", "pod") or not rel.strip():
                        raise ValueError("bad @cg line")
                    cur = _Block(kind, _path(rel), n)
                    blocks.append(cur)
                    pod_path = cur.path if kind == "pod" else None
                elif tag == "@ctr":
                    name = rest.strip()
                    if pod_path is None or not name or "/" in name:
                        raise ValueError("@ctr outside a pod")
                    cur = _Block("ctr", pod_path + "/" + name, n, parent=pod_path)
                    blocks.append(cur)
                elif tag == "@end":
                    end_count = int(rest.strip())
                continue
            if in_meminfo and tag == "mi":
                key, _, val = rest.partition(":")
                parts = val.split()
                if not key or not parts:
                    raise ValueError("bad meminfo line")
                num = int(parts[0])
                meminfo[key.strip()] = num * 1024 if parts[1:] == ["kB"] else num
                continue
            if cur is None:
                raise ValueError("data outside a cgroup block")
            fields = rest.split()
            if tag == "S":
                if len(fields) % 2:
                    raise ValueError("odd number of fields")
                cur.stat.update((fields[i], int(fields[i + 1])) for i in range(0, len(fields), 2))
            elif tag == "s":
                if len(fields) != len(keys):
                    raise ValueError(f"{len(fields)} values for {len(keys)} keys")
                cur.stat.update((k, int(v)) for k, v in zip(keys, fields, strict=True) if v != "-")
            elif tag in ("m", "e", "o", "p"):
                want = {"m": 5, "e": 6, "o": 3, "p": 8}[tag]
                if len(fields) != want:
                    raise ValueError(f"{len(fields)} fields, expected {want}")
                for i, f in enumerate(fields):
                    if f == "-" or (f == "max" and tag == "m"):
                        continue
                    if tag == "p" and i % 4 != 3:
                        float(f)  # PSI averages are decimals, totals integers
                    else:
                        int(f)
                setattr(cur, tag, tuple(fields))
            else:
                raise ValueError(f"unknown tag {tag!r}")
        except ValueError as exc:
            problems.add(f"line {n}: cannot parse ({exc}): {_excerpt(line)!r}")

    truncated = False
    if end_count is None:
        truncated = True
        if blocks:
            last = blocks.pop()
            problems.add(f"output truncated (no @end): dropped the last, possibly partial cgroup {last.path}")
        else:
            problems.add("output truncated (no @end)")
    elif end_count != len(blocks):
        truncated = True
        problems.add(f"@end counts {end_count} cgroups but {len(blocks)} were read: lines are missing")
    if after_end:
        problems.add(f"{after_end} line(s) after @end ignored")
    if kubepods_seen and kubepods is None and not any("kubepods" in p for p in problems.items):
        problems.add("no kubepods tree found")

    v1 = cg_version in ("v1", "hybrid")
    cgroups = _build(blocks, v1=v1, kubepods=kubepods)
    pods: dict[str, PodCgroups] = {}
    by_pod: dict[str, list[CgroupMemory]] = {}
    pod_cg: dict[str, CgroupMemory] = {}
    for cg in cgroups:
        if cg.kind == "pod" and cg.pod_uid:
            if cg.pod_uid in pod_cg:
                problems.add(f"pod {cg.pod_uid} appears twice: {pod_cg[cg.pod_uid].path} and {cg.path}")
                continue
            pod_cg[cg.pod_uid] = cg
            by_pod[cg.pod_uid] = []
        elif cg.kind in ("container", "other") and cg.pod_uid in by_pod:
            by_pod[cg.pod_uid].append(cg)
    for uid, cg in pod_cg.items():
        pods[uid] = PodCgroups(uid=uid, qos=cg.qos, cgroup=cg, children=tuple(by_pod[uid]))

    node = _node(cgroups, meminfo)
    return CgroupSnapshot(
        format_version=version,
        cgroup_version=cg_version,
        memroot=memroot,
        psi_root=psi_root,
        kubepods=kubepods,
        meminfo=meminfo,
        node=node,
        cgroups=tuple(cgroups),
        pods=pods,
        truncated=truncated,
        problems=problems.result(),
    )


def _kubepods_like(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name in ("kubepods", "kubepods.slice") or name.endswith("-kubepods.slice")


def _build(blocks: list[_Block], *, v1: bool, kubepods: str | None) -> list[CgroupMemory]:
    out: list[CgroupMemory] = []
    tiers: dict[str, QosTier | None] = {}
    pod_info: dict[str, tuple[str | None, QosTier | None]] = {}
    for b in blocks:
        kind: CgroupKind
        qos: QosTier | None = None
        uid = cid = runtime = None
        parent = b.path.rsplit("/", 1)[0] or "/"
        if b.kind == "ctr":
            runtime, cid, conmon = container_from_cgroup_name(b.name)
            kind = "container" if cid and not conmon else "other"
            uid, qos = pod_info.get(b.parent or "", (None, None))
        elif b.kind == "pod":
            kind = "pod"
            uid = pod_uid_from_cgroup_name(b.name)
            if parent in tiers:
                qos = tiers[parent]
            elif kubepods is not None and parent == kubepods and _kubepods_like(kubepods):
                # Guaranteed pods sit directly under kubepods. Under a custom root without QoS
                # cgroups (cgroupsPerQOS=false) every pod does, and the path says nothing.
                qos = "guaranteed"
            pod_info[b.path] = (uid, qos)
        elif b.kind == "qos":
            kind = "qos"
            qos = qos_from_cgroup_name(b.name)
            tiers[b.path] = qos
        else:
            kind = b.kind  # type: ignore[assignment]
        out.append(_record(b, kind, qos, uid, cid, runtime, v1=v1))
    return out


def _record(
    b: _Block,
    kind: CgroupKind,
    qos: QosTier | None,
    uid: str | None,
    cid: str | None,
    runtime: str | None,
    *,
    v1: bool,
) -> CgroupMemory:
    usage = limit = peak = swap = high = failcnt = None
    if b.m is not None:
        names = _V1_M if v1 else _V2_M
        m = dict(zip(names, b.m, strict=True))
        if v1:
            usage = _int(m["usage"])
            limit = parse_limit(m["limit"])
            peak = _int(m["max_usage"])
            memsw = _int(m["memsw"])
            if memsw is not None and usage is not None:
                swap = max(memsw - usage, 0)
            failcnt = _int(m["failcnt"])
        else:
            usage = _int(m["current"])
            limit = parse_limit(m["max"])
            peak = _int(m["peak"])
            swap = _int(m["swap"])
            high = parse_limit(m["high"])
    if usage is None and kind == "root" and not v1:
        # the v2 root has no memory.current: runc's rootStatsFromMeminfo uses anon + file
        anon, file = b.stat.get("anon"), b.stat.get("file")
        if anon is not None and file is not None:
            usage = anon + file
    events = None
    if b.e is not None:
        events = MemoryEvents(**{k: _int(v) for k, v in zip(_V2_EVENTS, b.e, strict=True)})
    elif b.o is not None:
        o = {k: _int(v) for k, v in zip(_V1_OOM, b.o, strict=True)}
        events = MemoryEvents(
            oom_kill=o["oom_kill"],
            under_oom=None if o["under_oom"] is None else bool(o["under_oom"]),
            oom_kill_disable=None if o["oom_kill_disable"] is None else bool(o["oom_kill_disable"]),
        )
    pressure = None
    if b.p is not None:

        def psi(vals: tuple[str, ...]) -> PsiLine | None:
            if "-" in vals:
                return None
            return PsiLine(float(vals[0]), float(vals[1]), float(vals[2]), int(vals[3]))

        pressure = Pressure(some=psi(b.p[:4]), full=psi(b.p[4:]))
    return CgroupMemory(
        path=b.path,
        kind=kind,
        name=b.name,
        qos=qos,
        pod_uid=uid,
        container_id=cid,
        runtime=runtime,
        stat=b.stat,
        usage=usage,
        limit=limit,
        peak=peak,
        swap=swap,
        high=high,
        failcnt=failcnt,
        events=events,
        pressure=pressure,
        breakdown=breakdown(b.stat, usage, v1),
    )


def _node(cgroups: list[CgroupMemory], meminfo: dict[str, int]) -> NodeMemory | None:
    root = next((c for c in cgroups if c.kind == "root"), None)
    pods = next((c for c in cgroups if c.kind == "kubepods"), None)
    if root is None and not meminfo and pods is None:
        return None
    total = meminfo.get("MemTotal")
    root_ws = root.breakdown.working_set if root else None
    pods_ws = pods.breakdown.working_set if pods else None
    pods_limit = pods.limit if pods else None
    return NodeMemory(
        mem_total=total,
        mem_available=meminfo.get("MemAvailable"),
        root_usage=root.usage if root else None,
        root_working_set=root_ws,
        available=total - root_ws if total is not None and root_ws is not None else None,
        pods_limit=pods_limit,
        pods_working_set=pods_ws,
        pods_available=pods_limit - pods_ws if pods_limit is not None and pods_ws is not None else None,
    )
