"""Golden outputs, reviewed for wording: fixed records and a fixed clock, so they never drift.

Regenerate after a deliberate wording change with KUBECTL_MEM_UPDATE_GOLDEN=1, then review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kubectl_mem.model.cgroup import CgroupOverlay, ContainerCgroup, Figures, PodCgroup
from kubectl_mem.model.explain import EventRecord, WorkloadRef, explain
from kubectl_mem.model.records import (
    ContainerSpec,
    ContainerStatus,
    ContainerUsage,
    EnvVar,
    Node,
    NodeUsage,
    Pod,
    PodUsage,
    Resources,
    Termination,
    Volume,
)
from kubectl_mem.model.snapshot import build_snapshot
from kubectl_mem.report.explain_text import render_markdown, render_text

GOLDEN = Path(__file__).parent / "golden"
NOW = "2025-03-04T12:00:00Z"
MI = 1 << 20
GI = 1 << 30


def _api_pod(name: str, ws_restarts: int, killed_at: str | None, node: str = "node-1") -> Pod:
    last = Termination("OOMKilled", 137, None, "2025-03-04T11:20:00Z", killed_at) if killed_at else None
    return Pod(
        namespace="shop",
        name=name,
        uid=f"uid-{name}",
        node=node,
        phase="Running",
        qos_class="Burstable",
        labels=(("app", "api"), ("pod-template-hash", "7d9f5c")),
        owner_kind="ReplicaSet",
        owner_name="api-7d9f5c",
        containers=(
            ContainerSpec(
                "api",
                image="ghcr.io/acme/api:1.4.2",
                resources=Resources(
                    memory_request=256 * MI, memory_limit=512 * MI, cpu_request_m=100, any_set=True
                ),
                env=(EnvVar("GOGC", "100"),),
            ),
        ),
        statuses=(
            ContainerStatus(
                "api", restart_count=ws_restarts, ready=True, state="running", last_termination=last
            ),
        ),
    )


def _snapshot(pods, usage, nodes=("node-1",)):
    node_objs = [Node(n, capacity_memory=8 * GI, allocatable_memory=7 * GI) for n in nodes]
    node_usage = [NodeUsage(n, 8 * GI - 280 * MI) for n in nodes]
    return build_snapshot(pods, node_objs, usage, node_usage, taken_at=NOW)


def _oom_go():
    p = _api_pod("api-7d9f5c-x2x9q", 3, "2025-03-04T11:46:00Z")
    batch = Pod(
        "default",
        "batch-runner",
        "uid-b",
        node="node-1",
        phase="Running",
        qos_class="BestEffort",
        containers=(ContainerSpec("runner"),),
    )
    snap = _snapshot(
        [p, batch],
        [
            PodUsage("shop", p.name, (ContainerUsage("api", 466 * MI),)),
            PodUsage("default", "batch-runner", (ContainerUsage("runner", 90 * MI),)),
        ],
    )
    return explain(
        [v for v in snap.pods if v.pod.name == p.name], snap, namespace="shop", target=f"pod/{p.name}"
    )


def cgroup_figures(
    anon: int, active: int, inactive: int, *, kernel: int = 6 * MI, slab_r: int = 2 * MI, **kw
) -> Figures:
    """A v2 cgroup as the collector reports it (sizes in bytes)."""
    usage = anon + active + inactive + kernel
    return Figures(
        "cgroup",
        working_set=usage - inactive,
        usage=usage,
        anon=anon,
        file=active + inactive,
        active_file=active,
        inactive_file=inactive,
        shmem=0,
        kernel=kernel,
        sock=0,
        reclaimable=active + inactive + slab_r,
        unreclaimable=anon + kernel - slab_r,
        **kw,
    )


def _oom_go_cgroups():
    """_oom_go with the node collector's figures: 3 OOM kills in the pod cgroup, 3 at a limit."""
    p = _api_pod("api-7d9f5c-x2x9q", 3, "2025-03-04T11:46:00Z")
    snap = _snapshot([p], [PodUsage("shop", p.name, (ContainerUsage("api", 466 * MI),))])
    api = cgroup_figures(400 * MI, 60 * MI, 40 * MI, peak=512 * MI, limit=512 * MI, oom_kills=0, ooms=0)
    pod = cgroup_figures(401 * MI, 60 * MI, 40 * MI, oom_kills=3, ooms=3)
    pc = PodCgroup(
        "node-1", "uid-" + p.name, "shop", p.name, "burstable", pod, (ContainerCgroup("api", api),)
    )
    cg = CgroupOverlay(pods={pc.uid: pc})
    return explain(list(snap.pods), snap, namespace="shop", target=f"pod/{p.name}", cgroups=cg)


def _evicted():
    msg = (
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 81920Ki. "
        "Container worker was using 921600Ki, request is 128Mi, has larger consumption of memory. "
    )
    p = Pod(
        "shop",
        "report-28734",
        "uid-r",
        node="node-1",
        phase="Failed",
        qos_class="Burstable",
        owner_kind="Job",
        owner_name="report-28734",
        containers=(
            ContainerSpec(
                "worker",
                image="python:3.12-slim",
                command=("python", "report.py"),
                resources=Resources(memory_request=128 * MI, any_set=True),
            ),
        ),
        reason="Evicted",
        message=msg,
    )
    snap = _snapshot([p], [])
    return explain(list(snap.pods), snap, namespace="shop", target="pod/report-28734")


def _jvm_shm():
    p = Pod(
        "shop",
        "orders-0",
        "uid-o",
        node="node-1",
        phase="Running",
        qos_class="Guaranteed",
        owner_kind="StatefulSet",
        owner_name="orders",
        containers=(
            ContainerSpec(
                "app",
                image="eclipse-temurin:21-jre",
                resources=Resources(
                    memory_request=GI, memory_limit=GI, cpu_request_m=500, cpu_limit_m=500, any_set=True
                ),
                command=("java", "-jar", "/app.jar"),
                env=(EnvVar("JAVA_TOOL_OPTIONS", "-Xmx1g -Dfile.encoding=UTF-8"),),
                memory_volume_mounts=("shm",),
            ),
        ),
        statuses=(
            ContainerStatus(
                "app",
                restart_count=1,
                state="running",
                last_termination=Termination("Error", 137, None, None, "2025-03-04T11:58:00Z"),
            ),
        ),
        memory_volumes=(Volume("shm", 256 * MI),),
    )
    snap = _snapshot([p], [PodUsage("shop", "orders-0", (ContainerUsage("app", 700 * MI),))])
    events = {
        "orders-0": [
            EventRecord(
                "Pod",
                "orders-0",
                "Unhealthy",
                'Liveness probe failed: Get "http://10.0.0.7:8080/healthz": context deadline exceeded',
                count=3,
                last_timestamp="2025-03-04T11:57:50Z",
            )
        ]
    }
    return explain(list(snap.pods), snap, namespace="shop", target="pod/orders-0", events=events)


def _deployment():
    pods = [
        _api_pod("api-7d9f5c-r1", 2, "2025-03-04T11:50:00Z", "node-1"),
        _api_pod("api-7d9f5c-r2", 1, "2025-03-04T10:30:00Z", "node-2"),
        _api_pod("api-7d9f5c-r3", 0, None, "node-2"),
    ]
    usage = [
        PodUsage("shop", p.name, (ContainerUsage("api", ws * MI),))
        for p, ws in zip(pods, (470, 300, 250), strict=True)
    ]
    snap = _snapshot(pods, usage, nodes=("node-1", "node-2"))
    return explain(
        list(snap.pods),
        snap,
        namespace="shop",
        target="deployment/api",
        workload=WorkloadRef("Deployment", "api"),
    )


CASES = {
    "oom_go.txt": lambda: render_text(_oom_go(), width=100),
    "oom_go_narrow.txt": lambda: render_text(_oom_go(), width=60),
    "evicted.txt": lambda: render_text(_evicted(), width=100),
    "liveness_jvm.txt": lambda: render_text(_jvm_shm(), width=100),
    "deployment.txt": lambda: render_text(_deployment(), width=100),
    "oom_go.md": lambda: render_markdown(_oom_go()),
    "oom_go_cgroups.txt": lambda: render_text(_oom_go_cgroups(), width=100),
    "oom_go_cgroups.md": lambda: render_markdown(_oom_go_cgroups()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    text = CASES[name]()
    path = GOLDEN / name
    if os.environ.get("KUBECTL_MEM_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_text_fits_the_width_except_commands_and_yaml():
    for width in (60, 80, 100):
        for line in render_text(_deployment(), width=width).splitlines():
            if len(line) > width:
                assert line.lstrip().startswith(("kubectl ", "value:", "- name:", "containers:")), line
