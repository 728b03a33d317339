"""A small, fixed cluster for the TUI tests, built through the real model (build_snapshot)."""

from __future__ import annotations

import datetime as dt
import time

from kubectl_mem.kube.snapshot_source import Loaded
from kubectl_mem.model.cgroup import CgroupOverlay, ContainerCgroup, Figures, NodeCgroup, PodCgroup, overlay
from kubectl_mem.model.records import (
    ContainerSpec,
    ContainerStatus,
    ContainerUsage,
    Node,
    NodeUsage,
    Pod,
    PodUsage,
    Resources,
    Termination,
)
from kubectl_mem.model.snapshot import build_snapshot

Mi, Gi = 1 << 20, 1 << 30
TAKEN_AT = "2026-05-01T12:00:00Z"
METRICS_AT = "2026-05-01T11:59:45Z"


def _pod(
    ns: str,
    name: str,
    node: str,
    containers: list[tuple[str, int | None, int | None]],
    *,
    labels: dict[str, str] | None = None,
    oom: bool = False,
    restarts: int = 0,
    priority: int = 0,
) -> Pod:
    specs = tuple(
        ContainerSpec(name=c, resources=Resources(memory_request=req, memory_limit=lim))
        for c, req, lim in containers
    )
    statuses = tuple(
        ContainerStatus(
            name=c,
            ready=True,
            state="running",
            restart_count=restarts if i == 0 else 0,
            last_termination=Termination(
                reason="OOMKilled", exit_code=137, finished_at="2026-05-01T11:40:00Z"
            )
            if oom and i == 0
            else None,
        )
        for i, (c, _, _) in enumerate(containers)
    )
    return Pod(
        namespace=ns,
        name=name,
        uid=f"uid-{ns}-{name}",
        node=node,
        phase="Running",
        priority=priority,
        labels=tuple(sorted((labels or {}).items())),
        containers=specs,
        statuses=statuses,
        created="2026-04-30T12:00:00Z",
        owner_kind="ReplicaSet",
        owner_name=f"{name}-rs",
    )


# (namespace, name, node, [(container, request, limit, working set)], labels, oom, restarts)
PODS = [
    ("shop", "api-7f9c", "node-a", [("api", 256 * Mi, 512 * Mi, 490 * Mi)], {"app": "api"}, True, 4),
    ("shop", "cart-5d4b", "node-a", [("cart", 128 * Mi, 256 * Mi, 190 * Mi)], {"app": "cart"}, False, 0),
    (
        "shop",
        "web-0",
        "node-b",
        [("nginx", 64 * Mi, 128 * Mi, 40 * Mi), ("php", 256 * Mi, None, 300 * Mi)],
        {"app": "web"},
        False,
        1,
    ),
    ("batch", "etl-28391", "node-b", [("etl", None, None, 900 * Mi)], {"app": "etl"}, False, 0),
    ("batch", "report-1", "node-a", [("report", 512 * Mi, 512 * Mi, 100 * Mi)], {"app": "report"}, False, 0),
    (
        "kube-system",
        "coredns-1",
        "node-a",
        [("coredns", 70 * Mi, 170 * Mi, 30 * Mi)],
        {"k8s-app": "dns"},
        False,
        0,
    ),
    (
        "kube-system",
        "metrics-server-1",
        "node-b",
        [("metrics-server", 200 * Mi, 400 * Mi, 60 * Mi)],
        {"k8s-app": "metrics"},
        False,
        0,
    ),
]

NODES = [("node-a", 4 * Gi, int(3.5 * Gi), int(3.3 * Gi)), ("node-b", 8 * Gi, int(7.5 * Gi), 3 * Gi)]


def loaded(scale: float = 1.0, *, metrics: bool = True, extra_pods: int = 0) -> Loaded:
    """The fixed cluster; `scale` multiplies every working set (a growing cluster for samples)."""
    pods, usage = [], []
    rows = list(PODS)
    for i in range(extra_pods):
        rows.append(
            (
                "bulk",
                f"worker-{i:05d}",
                "node-b",
                [("w", 64 * Mi, 128 * Mi, (i % 120) * Mi)],
                {"app": "worker"},
                False,
                0,
            )
        )
    for ns, name, node, ctrs, labels, oom, restarts in rows:
        pods.append(
            _pod(
                ns,
                name,
                node,
                [(c, req, lim) for c, req, lim, _ in ctrs],
                labels=labels,
                oom=oom,
                restarts=restarts,
            )
        )
        usage.append(
            PodUsage(
                ns,
                name,
                tuple(ContainerUsage(c, int(ws * scale)) for c, _, _, ws in ctrs),
                timestamp=METRICS_AT,
            )
        )
    nodes = [
        Node(name=n, capacity_memory=cap, allocatable_memory=alloc, memory_pressure=False, ready=True)
        for n, cap, alloc, _ in NODES
    ]
    node_usage = [NodeUsage(n, int(ws * scale), timestamp=METRICS_AT) for n, _, _, ws in NODES]
    snap = build_snapshot(
        pods,
        nodes,
        usage if metrics else [],
        node_usage if metrics else [],
        taken_at=TAKEN_AT,
        metrics_available=metrics,
    )
    return Loaded(snap, list(snap.pods), [])


# ---------------------------------------------------------------- app helpers

CLOCK_AT = dt.datetime(2026, 5, 1, 12, 0, 5, tzinfo=dt.UTC)


def fixed_clock() -> dt.datetime:
    return CLOCK_AT


class SteppingClock:
    """Each call is `step` seconds after the one before: samples get distinct times."""

    def __init__(self, step: float = 60.0) -> None:
        self.now = CLOCK_AT
        self.step = dt.timedelta(seconds=step)

    def __call__(self) -> dt.datetime:
        self.now += self.step
        return self.now


def screen_text(app) -> str:
    """What a user sees, as plain text lines."""
    return "\n".join(s.text for s in app.screen._compositor.render_strips())


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def until(pilot, check, what: str, timeout: float = 60.0) -> None:
    """Lets the app run until `check()` holds (messages and workers take their time on a loaded
    machine: a fixed pause was a race); fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out after {timeout:g}s waiting for {what}"
        await pilot.pause(0.02)


def cgroups_of_node_a() -> CgroupOverlay:
    """What key c reads on node-a (as a collector pod would): each pod's and container's anon,
    page cache and kernel memory, and the node's own memory.available (less than metrics say)."""
    snap = loaded().snapshot
    pods = []
    for p in snap.pods:
        if p.pod.node != "node-a":
            continue
        containers = []
        for c in p.containers:
            ws = c.working_set or 0
            cache = ws // 4 + 40 * Mi
            fig = Figures("cgroup", working_set=ws, usage=ws + 40 * Mi, anon=ws * 3 // 4, file=cache,
                          kernel=2 * Mi, reclaimable=cache, peak=ws + 48 * Mi, limit=c.limit,
                          oom_kills=1 if c.oom_killed else 0)  # fmt: skip
            containers.append(ContainerCgroup(c.name, fig))
        total = Figures(
            "cgroup",
            working_set=sum(c.figures.working_set or 0 for c in containers),
            anon=sum(c.figures.anon or 0 for c in containers),
            file=sum(c.figures.file or 0 for c in containers),
            kernel=sum(c.figures.kernel or 0 for c in containers),
            reclaimable=sum(c.figures.reclaimable or 0 for c in containers),
            oom_kills=3 if p.pod.name == "api-7f9c" else 0,  # the kernel counted more than the API keeps
        )
        pods.append(
            PodCgroup("node-a", p.pod.uid, p.pod.namespace, p.pod.name, "burstable", total, tuple(containers))
        )
    root = Figures("cgroup", working_set=int(3.5 * Gi), reclaimable=600 * Mi)
    node = NodeCgroup("node-a", "cgroup", memory_available=512 * Mi, mem_total=4 * Gi,
                      root_working_set=int(3.5 * Gi), root=root)  # fmt: skip
    return overlay([(node, pods)])
