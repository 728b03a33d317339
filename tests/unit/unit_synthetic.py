"""A synthetic cluster for timing build_snapshot (deterministic for a seed)."""

from __future__ import annotations

import random

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

Mi, Gi = 1 << 20, 1 << 30
QOS = ("Guaranteed", "Burstable", "Burstable", "BestEffort")


def synthetic_cluster(npods: int = 20_000, nnodes: int = 200, seed: int = 1):
    r = random.Random(seed)
    nodes = [
        Node(
            name=f"node-{i}", capacity_memory=64 * Gi, allocatable_memory=62 * Gi, memory_pressure=i % 50 == 0
        )
        for i in range(nnodes)
    ]
    pods, usage = [], []
    for i in range(npods):
        ns, name, kind = f"ns-{i % 40}", f"pod-{i}", i % 4
        specs, statuses, used = [], [], []
        for j in range(1 + i % 3):
            req = None if kind == 3 else r.choice([None, 64 * Mi, 256 * Mi, 512 * Mi])
            lim = req if kind == 0 else None if kind == 3 else r.choice([None, 512 * Mi, Gi])
            specs.append(
                ContainerSpec(name=f"c{j}", resources=Resources(memory_request=req, memory_limit=lim))
            )
            last = (
                Termination(reason="OOMKilled", exit_code=137, finished_at="2024-05-01T11:50:00Z")
                if r.random() < 0.02
                else None
            )
            statuses.append(
                ContainerStatus(
                    name=f"c{j}", restart_count=r.randint(0, 3), state="running", last_termination=last
                )
            )
            used.append(ContainerUsage(name=f"c{j}", working_set=r.randint(10 * Mi, Gi)))
        pods.append(
            Pod(
                namespace=ns,
                name=name,
                uid=str(i),
                node=f"node-{i % nnodes}",
                phase="Running",
                qos_class=QOS[kind],
                priority=r.choice([None, 0, 1000]),
                containers=tuple(specs),
                statuses=tuple(statuses),
            )
        )
        usage.append(
            PodUsage(namespace=ns, name=name, containers=tuple(used), timestamp="2024-05-01T12:00:00Z")
        )
    node_usage = [NodeUsage(name=n.name, working_set=r.randint(20 * Gi, 64 * Gi)) for n in nodes]
    return pods, nodes, usage, node_usage
