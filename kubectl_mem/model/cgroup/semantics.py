"""What the kernel's numbers mean: working set, limits, reclaimable and unreclaimable memory.

PURE. Semantics (reference: shared/reference/kubernetes-memory.md):
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

OOM counters (the kernel's `memcg_memory_event`; seen on a real cgroup v1 node, tests/realnode):
- v1 memory.oom_control `oom_kill` is local: an OOM kill is counted only in the cgroup of the
  killed process, i.e. the container's, which runc removes with the container. The pod's cgroup
  never counts its containers' kills: on v1 a pod's count is unknown, not 0 (`NOT_COUNTED_V1`).
  v1 has no `oom` counter (memory.failcnt counts charges that hit the limit, not OOMs).
- v2 memory.events is hierarchical: `oom_kill` and `oom` count the cgroup and every descendant,
  removed ones included, so the pod's counts cover every container instance since the pod started;
  unless cgroup2 is mounted with `memory_localevents`, which makes memory.events local like v1
  (`NOT_COUNTED_LOCALEVENTS`). The collector reads the mount options (`@info events=`); where it
  could not (a copied tree), the kernel's default, hierarchical, is taken.
- A container's cgroup is new with each container instance and holds the killed processes: its
  counters are right either way, since that instance started.
"""

from __future__ import annotations

from kubectl_mem.model.cgroup.records import Breakdown

UNLIMITED_FROM = 2**62  # the kubelet's isMemoryUnlimited: a limit above this is "no limit"
V1_UNLIMITED = 9223372036854771712  # what cgroup v1 shows for "no limit" (PAGE_COUNTER_MAX pages)

# Why a pod's (or any parent's) OOM-kill count is unknown where the counter is local.
NOT_COUNTED_V1 = (
    "not counted by cgroup v1: memory.oom_control counts an OOM kill only in the cgroup of the "
    "killed process (the container's, removed with the container), never in its pod's"
)
NOT_COUNTED_LOCALEVENTS = (
    "not counted: cgroup2 is mounted with memory_localevents, so memory.events counts only the "
    "cgroup's own processes (the container's), never its pod's"
)


def pods_not_counted(cgroup_version: str, oom_events: str) -> str | None:
    """Why a node's pods have no OOM-kill count (their counters are local), None where they have one."""
    if oom_events != "local":
        return None
    return NOT_COUNTED_V1 if cgroup_version in ("v1", "hybrid") else NOT_COUNTED_LOCALEVENTS


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
