"""The kubelet's Summary API where metrics.k8s.io has a gap: the figures the eviction manager ranks by.

A running pod metrics-server does not report (just started, a container not scraped yet, metrics-server
itself down) is not a gap for the kubelet: it ranks pods by its own Summary stats, the pod cgroup's
working set. So for the nodes with such pods, `GET /api/v1/nodes/NODE/proxy/stats/summary` (RBAC: get
nodes/proxy) gives the missing pods' working sets (`PodUsage(source="summary")`, pod level and per
container) and, where NodeMetrics lacks it, the node's. A live pod missing from a node's Summary has no
stats at the kubelet either (all its containers in back-off: no cgroup), and the kubelet ranks such pods
first: the node is listed in `ClusterData.summary_nodes` so the model can say so.

Kind to the cluster: at most `MAX_NODES` nodes per fetch (those with the most pods without usage, nodes
under MemoryPressure first), 4 at a time; one 403 stops the rest and is said once.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import msgspec

from kubectl_mem.errors import ApiNotFoundError, ForbiddenError, KubectlMemError
from kubectl_mem.kube.fetch import ClusterData, Problem
from kubectl_mem.kube.http import Transport
from kubectl_mem.model.records import ContainerUsage, NodeUsage, Pod, PodUsage
from kubectl_mem.model.status import is_live

MAX_NODES = 20
WORKERS = 4


class _Memory(msgspec.Struct, rename="camel", gc=False):
    working_set_bytes: int | None = None


class _PodRef(msgspec.Struct, gc=False):
    name: str = ""
    namespace: str = ""


class _Container(msgspec.Struct, gc=False):
    name: str = ""
    memory: _Memory | None = None


class _PodStats(msgspec.Struct, rename="camel", gc=False):
    pod_ref: _PodRef = msgspec.field(default_factory=_PodRef)
    containers: list[_Container] | None = None
    memory: _Memory | None = None


class _NodeStats(msgspec.Struct, gc=False):
    memory: _Memory | None = None


class _Summary(msgspec.Struct, gc=False):
    node: _NodeStats = msgspec.field(default_factory=_NodeStats)
    pods: list[_PodStats] | None = None


_decoder = msgspec.json.Decoder(_Summary)


def missing_usage(pods: list[Pod], usage: list[PodUsage]) -> Counter[str]:
    """Per node, its live pods metrics.k8s.io has no figure for."""
    have = {(u.namespace, u.name) for u in usage}
    return Counter(p.node for p in pods if p.node and is_live(p) and (p.namespace, p.name) not in have)


def read_summary(transport: Transport, node: str, taken_at: str) -> tuple[list[PodUsage], NodeUsage | None]:
    body = transport.get(f"/api/v1/nodes/{quote(node, safe='')}/proxy/stats/summary").body
    s = _decoder.decode(body)
    out = []
    for p in s.pods or ():
        containers = tuple(
            ContainerUsage(c.name, c.memory.working_set_bytes)
            for c in p.containers or ()
            if c.memory is not None and c.memory.working_set_bytes is not None
        )
        pod_ws = p.memory.working_set_bytes if p.memory is not None else None
        if pod_ws is None and not containers:
            continue
        out.append(
            PodUsage(
                p.pod_ref.namespace,
                p.pod_ref.name,
                containers,
                timestamp=taken_at,
                source="summary",
                pod_working_set=pod_ws,
            )
        )
    node_ws = s.node.memory.working_set_bytes if s.node.memory is not None else None
    return out, (NodeUsage(node, node_ws, taken_at, source="summary") if node_ws is not None else None)


def fill_usage_gaps(transport: Transport, data: ClusterData, *, max_nodes: int = MAX_NODES) -> ClusterData:
    """Add the Summary API's figures for the pods (and nodes) metrics.k8s.io left without usage.

    Mutates and returns `data`: usage appended (metrics.k8s.io's wins where both exist), the nodes read
    in `summary_nodes`, one Problem (not partial) when the Summary API cannot be read."""
    gaps = missing_usage(data.pods, data.pod_usage)
    known_nodes = {n.name for n in data.nodes}
    node_has_usage = {u.name for u in data.node_usage}
    pressure = {n.name for n in data.nodes if n.memory_pressure}
    for name in known_nodes - node_has_usage:
        gaps.setdefault(name, 0)  # a node without NodeMetrics: its own figure is worth reading too
    wanted = sorted(
        (n for n in gaps if n in known_nodes or not known_nodes),
        key=lambda n: (n not in pressure, -gaps[n], n),
    )
    if not wanted:
        return data
    chosen, left = wanted[:max_nodes], wanted[max_nodes:]
    forbidden: ForbiddenError | None = None
    failed: list[str] = []
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(chosen))) as pool:
        futures = {n: pool.submit(read_summary, transport, n, data.taken_at) for n in chosen}
        for node, fut in futures.items():
            try:
                pods, node_usage = fut.result()
            except ForbiddenError as e:
                forbidden = forbidden or e
                continue
            except (ApiNotFoundError, KubectlMemError, msgspec.DecodeError):
                failed.append(node)
                continue
            data.pod_usage.extend(pods)
            if node_usage is not None and node not in node_has_usage:
                data.node_usage.append(node_usage)
            data.summary_nodes.append(node)
    unknown = sum(n for node, n in gaps.items() if node not in data.summary_nodes)
    if forbidden is not None and unknown:
        data.problems.append(
            Problem(
                "summary",
                f"usage of {unknown} running pod{'s' if unknown != 1 else ''} unknown (no metrics.k8s.io "
                f"figure) and the kubelet's Summary API is not readable: {forbidden.message} (needs get "
                "nodes/proxy); their eviction places are shown as ranges",
                partial=False,
            )
        )
    elif unknown and (left or failed):
        where = f"{len(left) + len(failed)} node{'s' if len(left) + len(failed) != 1 else ''}"
        why = f"read for {max_nodes} nodes at most" if left else "not answering"
        data.problems.append(
            Problem(
                "summary",
                f"usage of {unknown} running pod{'s' if unknown != 1 else ''} on {where} unknown: no "
                f"metrics.k8s.io figure and the kubelet's Summary API {why}; their eviction places are "
                "shown as ranges",
                partial=False,
            )
        )
    return data
