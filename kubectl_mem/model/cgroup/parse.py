"""Parse the cgroup collector's output into a `CgroupSnapshot` (`records.py`).

PURE: takes the text `kubectl_mem/kube/collector.sh` printed (from a collector pod's log, or from
`--from-dir`, see `kubectl_mem/kube/cgroup_dir.py`), never touches files or processes. The format
is documented at the top of collector.sh; in short: directives start with `@`, a block per cgroup
(`@cg KIND PATH` or `@ctr NAME` for a child of the last pod), data lines `S`/`s` (memory.stat),
`m` (current/usage, max/limit, peak, swap, high/failcnt), `e` (v2 memory.events), `o` (v1
memory.oom_control), `p` (PSI), `mi` (/proc/meminfo), and `@end N` last. What the figures mean:
`semantics.py`.
"""

from __future__ import annotations

from kubectl_mem.model.cgroup.names import (
    QosTier,
    container_from_cgroup_name,
    pod_uid_from_cgroup_name,
    qos_from_cgroup_name,
)
from kubectl_mem.model.cgroup.records import (
    CgroupKind,
    CgroupMemory,
    CgroupSnapshot,
    CgroupVersion,
    MemoryEvents,
    NodeMemory,
    OomEventsScope,
    PodCgroups,
    Pressure,
    PsiLine,
)
from kubectl_mem.model.cgroup.semantics import breakdown, parse_limit

FORMAT_VERSION = 1
MAGIC = "@kubectl-mem-cgroups"
MAX_PROBLEMS = 30  # beyond this, problems are counted, not listed

_V2_M = ("current", "max", "peak", "swap", "high")
_V1_M = ("usage", "limit", "max_usage", "memsw", "failcnt")
_V2_EVENTS = ("low", "high", "max", "oom", "oom_kill", "oom_group_kill")
_V1_OOM = ("oom_kill_disable", "under_oom", "oom_kill")
_DIRECTIVES = frozenset(("@info", "@keys", "@meminfo", "@kubepods", "@cg", "@ctr", "@end"))


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
    events_said: str | None = None
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
                    events_said = fields.get("events")
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
    # v1 memory.oom_control is local whatever the collector said; v2 as mounted, else the default
    oom_events: OomEventsScope = "local" if v1 or events_said == "local" else "hierarchical"
    cgroups = _build(blocks, v1=v1, kubepods=kubepods, local_events=oom_events == "local")
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
        oom_events=oom_events,
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


def _build(blocks: list[_Block], *, v1: bool, kubepods: str | None, local_events: bool) -> list[CgroupMemory]:
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
        out.append(_record(b, kind, qos, uid, cid, runtime, v1=v1, local_events=local_events))
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
    local_events: bool,
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
        events = MemoryEvents(
            **{k: _int(v) for k, v in zip(_V2_EVENTS, b.e, strict=True)}, hierarchical=not local_events
        )
    elif b.o is not None:
        o = {k: _int(v) for k, v in zip(_V1_OOM, b.o, strict=True)}
        events = MemoryEvents(
            oom_kill=o["oom_kill"],
            under_oom=None if o["under_oom"] is None else bool(o["under_oom"]),
            oom_kill_disable=None if o["oom_kill_disable"] is None else bool(o["oom_kill_disable"]),
            file="memory.oom_control",
            hierarchical=False,
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
