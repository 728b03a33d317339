"""The kubelet's Summary API where metrics.k8s.io has a gap: the figures the eviction manager ranks by.

A running pod metrics-server does not report (just started, a container not scraped yet, metrics-server
itself down) is not a gap for the kubelet: it ranks pods by its own Summary stats, the pod cgroup's
working set. So for the nodes with such pods, `GET /api/v1/nodes/NODE/proxy/stats/summary` (RBAC: get
nodes/proxy) gives the missing pods' working sets (`PodUsage(source="summary")`, pod level and per
container) and, where NodeMetrics lacks it, the node's. A live pod missing from a node's Summary has no
stats at the kubelet either (all its containers in back-off: no cgroup), and the kubelet ranks such pods
first: the node is listed in `ClusterData.summary_nodes` so the model can say so.

Kind to the cluster: at most `MAX_NODES` nodes per fetch (those with the most pods without usage, nodes
under MemoryPressure first), 4 at a time; one 403 stops the rest and is said once. A view that refreshes
passes a `SummaryMemo`: a node is asked at most once a minute (`SummaryMemo.ttl`) while its pods without
metrics stay the same ones, its last answer (figures with the time they were read, or no answer, or a
403) standing in meanwhile, so that a refresh polls metrics.k8s.io, not 20 kubelets through the apiserver
(metrics-server itself scrapes every 15-60 s).
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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


@dataclass
class _Asked:
    gaps: frozenset[tuple[str, str]]  # the node's pods without metrics when it was asked
    at: float  # time.monotonic()
    answered: bool  # False: it did not answer (not a 403)
    pods: tuple[PodUsage, ...] = ()  # what it said of those pods
    node: NodeUsage | None = None  # and of itself


@dataclass
class SummaryMemo:
    """What the last refreshes learnt from the Summary API, for the next ones (see the module doc)."""

    ttl: float = 60.0
    nodes: dict[str, _Asked] = field(default_factory=dict)
    forbidden: ForbiddenError | None = None
    forbidden_at: float = 0.0
    asked: int = 0  # Summary requests sent, for tests and benchmarks

    def still(self, node: str, gaps: frozenset[tuple[str, str]], now: float) -> _Asked | None:
        got = self.nodes.get(node)
        return got if got is not None and got.gaps == gaps and now - got.at < self.ttl else None


def _gap_pods(pods: list[Pod], usage: list[PodUsage]) -> dict[str, frozenset[tuple[str, str]]]:
    have = {(u.namespace, u.name) for u in usage}
    out: dict[str, set[tuple[str, str]]] = {}
    for p in pods:
        if p.node and is_live(p) and (p.namespace, p.name) not in have:
            out.setdefault(p.node, set()).add((p.namespace, p.name))
    return {node: frozenset(keys) for node, keys in out.items()}


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


def fill_usage_gaps(
    transport: Transport, data: ClusterData, *, max_nodes: int = MAX_NODES, memo: SummaryMemo | None = None
) -> ClusterData:
    """Add the Summary API's figures for the pods (and nodes) metrics.k8s.io left without usage.

    Mutates and returns `data`: usage appended (metrics.k8s.io's wins where both exist), the nodes read
    in `summary_nodes`, one Problem (not partial) when the Summary API cannot be read. With `memo`,
    what earlier calls learnt stands in for asking again (see the module doc)."""
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
    now = time.monotonic()
    gap_pods = _gap_pods(data.pods, data.pod_usage) if memo is not None else {}
    if memo is not None:
        if memo.forbidden is not None and now - memo.forbidden_at < memo.ttl:
            forbidden, chosen = memo.forbidden, []
        remembered = [n for n in chosen if memo.still(n, gap_pods.get(n, frozenset()), now)]
        for node in remembered:
            asked = memo.nodes[node]
            if not asked.answered:
                failed.append(node)
                continue
            data.pod_usage.extend(asked.pods)
            if asked.node is not None and node not in node_has_usage:
                data.node_usage.append(asked.node)
            data.summary_nodes.append(node)
        chosen = [n for n in chosen if n not in remembered]
    with ThreadPoolExecutor(max_workers=max(1, min(WORKERS, len(chosen)))) as pool:
        futures = {n: pool.submit(read_summary, transport, n, data.taken_at) for n in chosen}
        if memo is not None:
            memo.asked += len(futures)
        for node, fut in futures.items():
            mine = gap_pods.get(node, frozenset())
            try:
                pods, node_usage = fut.result()
            except ForbiddenError as e:
                forbidden = forbidden or e
                if memo is not None:
                    memo.forbidden, memo.forbidden_at = e, now
                continue
            except (ApiNotFoundError, KubectlMemError, msgspec.DecodeError):
                failed.append(node)
                if memo is not None:
                    memo.nodes[node] = _Asked(mine, now, answered=False)
                continue
            data.pod_usage.extend(pods)
            if node_usage is not None and node not in node_has_usage:
                data.node_usage.append(node_usage)
            data.summary_nodes.append(node)
            if memo is not None:
                kept = tuple(u for u in pods if (u.namespace, u.name) in mine)
                memo.nodes[node] = _Asked(mine, now, answered=True, pods=kept, node=node_usage)
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
