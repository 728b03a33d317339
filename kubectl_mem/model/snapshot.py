"""Wire the rules together: records in, one immutable Snapshot out.

Cost is linear in pods and containers; ranking sorts each node's pods once. Nothing here does I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from fractions import Fraction
from math import ceil
from typing import NamedTuple

import msgspec

from kubectl_mem.model.eviction import (
    RankEntry,
    eviction_places,
    is_active,
    is_critical,
    node_headroom,
    parse_eviction_threshold,
    rank_key,
)
from kubectl_mem.model.history import eviction_of
from kubectl_mem.model.judgement import history_text, verdict
from kubectl_mem.model.oom_score import pod_oom_score_adjs
from kubectl_mem.model.qos import effective_qos
from kubectl_mem.model.records import Node, NodeUsage, Pod, PodUsage, PriorityClass
from kubectl_mem.model.requests import has_pod_level_resources, pod_memory_limit, pod_memory_request_exact
from kubectl_mem.model.risk import ended_risk, eviction_risk, oom_risk, overall_risk
from kubectl_mem.model.status import pod_status
from kubectl_mem.model.usage import container_views, pod_working_set, worst_container
from kubectl_mem.model.views import EvictionPlace, NodeView, PodView, Risk, Snapshot
from kubectl_mem.model.words import parse_time

_NOT_RANKED = EvictionPlace()

# Built-in priority classes exist in every cluster even when listing PriorityClasses is forbidden.
BUILTIN_PRIORITY_CLASSES = {"system-node-critical": 2_000_001_000, "system-cluster-critical": 2_000_000_000}


class _Facts(NamedTuple):
    pod: Pod
    qos: str
    qos_computed: bool
    priority: int
    request: int
    request_exact: Fraction | int
    limit: int | None
    usage: PodUsage | None
    working_set: int | None
    active: bool
    critical: bool
    status: str


class _NodeSums:
    """Running totals over a node's active pods."""

    __slots__ = ("requests", "limits", "without_limit", "working_set")

    def __init__(self) -> None:
        self.requests = 0
        self.limits = 0
        self.without_limit = 0
        self.working_set: int | None = None  # None until one pod has metrics


def priority_resolver(priority_classes: Iterable[PriorityClass]):
    """`pod.priority`, else its class's value, else the globalDefault class value, else 0.

    Admission sets spec.priority, so the fallback matters only for records that lack it.
    """
    values = dict(BUILTIN_PRIORITY_CLASSES)
    default = 0
    for pc in priority_classes:
        values[pc.name] = pc.value
        if pc.global_default:
            default = pc.value

    def resolve(pod: Pod) -> int:
        if pod.priority is not None:
            return pod.priority
        if pod.priority_class_name:
            return values.get(pod.priority_class_name, default)
        return default

    return resolve


def build_snapshot(
    pods: Iterable[Pod],
    nodes: Iterable[Node],
    pod_usage: Iterable[PodUsage],
    node_usage: Iterable[NodeUsage],
    *,
    priority_classes: Iterable[PriorityClass] = (),
    eviction_threshold: str | int = "100Mi",
    taken_at: str,
    metrics_available: bool = True,
    warnings: Iterable[str] = (),
    summary_nodes: Iterable[str] = (),
) -> Snapshot:
    """The whole model for one fetch. Raises ValueError for a malformed `eviction_threshold`.

    `pod_usage` and `node_usage` may mix metrics.k8s.io and Summary API figures (`source`); for
    a pod or node in both, metrics.k8s.io's is used. `summary_nodes`: the nodes whose kubelet Summary
    was read; a live pod there without any figure has no stats at the kubelet, which ranks it first."""
    summary_read = set(summary_nodes)
    pods = list(pods)
    node_by_name = {n.name: n for n in nodes}
    usage_by_key: dict[tuple[str, str], PodUsage] = {}
    for u in pod_usage:
        k = (u.namespace, u.name)
        if u.source == "metrics" or k not in usage_by_key:
            usage_by_key[k] = u
    node_usage = sorted(node_usage, key=lambda u: u.source != "metrics")  # metrics last: it wins
    node_ws = {u.name: u.working_set for u in node_usage}
    node_source = {u.name: u.source for u in node_usage}
    resolve_priority = priority_resolver(priority_classes)
    warnings = list(warnings)
    now = parse_time(taken_at)

    thresholds: dict[str, int] = {}
    for name, node in node_by_name.items():
        thresholds[name] = parse_eviction_threshold(eviction_threshold, node.capacity_memory)
    if not node_by_name:
        parse_eviction_threshold(eviction_threshold, 0)  # still reject a malformed value

    # pass 1: per-pod facts, and each node's ranking inputs
    facts: list[_Facts] = []
    by_node: dict[str, list[RankEntry]] = defaultdict(list)
    for p in pods:
        qos, computed = effective_qos(p)
        priority = resolve_priority(p)
        request_exact = pod_memory_request_exact(p)  # compared exactly, as upstream's Cmp
        request = ceil(request_exact)
        usage = usage_by_key.get((p.namespace, p.name))
        ws = pod_working_set(usage, p)
        active = is_active(p)
        if active:
            no_stats = ws is None and usage is None and p.node in summary_read
            by_node[p.node].append(RankEntry(p.namespace, p.name, priority, request_exact, ws, no_stats))
        critical = is_critical(p, priority)
        limit = pod_memory_limit(p)
        status = pod_status(p)
        facts.append(
            _Facts(
                p, qos, computed, priority, request, request_exact, limit, usage, ws, active, critical, status
            )
        )

    # pass 2: each node's eviction order. Critical pods stay in upstream's ranking but the eviction
    # loop skips them, so they take no place; the others get a place, a range where usage is unknown.
    places: dict[tuple[str, str], EvictionPlace] = {}
    critical_keys = {(f.pod.namespace, f.pod.name) for f in facts if f.critical}
    node_order: dict[str, tuple[str, ...]] = {}
    node_unknown: dict[str, int] = {}
    for node_name, entries in by_node.items():
        evictable = [e for e in entries if (e.namespace, e.name) not in critical_keys]
        critical_entries = sorted(
            (e for e in entries if (e.namespace, e.name) in critical_keys), key=rank_key
        )
        node_unknown[node_name] = sum(1 for e in entries if e.working_set is None)
        unknown = sum(1 for e in evictable if e.working_set is None and not e.no_stats)
        ranged = eviction_places(evictable)
        of = len(evictable)
        no_stats = {(e.namespace, e.name) for e in evictable if e.no_stats}
        for k, pl in ranged.items():
            places[k] = EvictionPlace(node_name, True, False, pl.first, pl.last, of, unknown, k in no_stats)
        for e in critical_entries:
            places[(e.namespace, e.name)] = EvictionPlace(node_name, True, True, None, None, of, unknown)
        order = sorted(ranged.items(), key=lambda kv: (kv[1], kv[0]))
        node_order[node_name] = tuple(f"{ns}/{n}" for (ns, n), _pl in order) + tuple(
            f"{e.namespace}/{e.name}" for e in critical_entries
        )

    node_views: list[NodeView] = []
    headroom_by_node: dict[str, int | None] = {}
    pressure_by_node: dict[str, bool | None] = {}
    stats: dict[str, _NodeSums] = defaultdict(_NodeSums)
    for f in facts:
        if not f.active:
            continue
        sums = stats[f.pod.node]
        sums.requests += f.request
        if f.limit is None:
            sums.without_limit += 1
        else:
            sums.limits += f.limit
        if f.working_set is not None:
            sums.working_set = (sums.working_set or 0) + f.working_set
    for name, node in node_by_name.items():
        sums = stats[name]
        h = node_headroom(
            node.capacity_memory,
            node.allocatable_memory,
            node_ws.get(name),
            thresholds[name],
            sums.working_set,
        )
        headroom_by_node[name] = h.headroom
        pressure_by_node[name] = node.memory_pressure
        order = node_order.get(name, ())
        node_views.append(
            NodeView(
                node=node,
                working_set=node_ws.get(name),
                available=h.available,
                threshold=thresholds[name],
                headroom=h.headroom,
                allocatable_headroom=h.allocatable_headroom,
                pods_working_set=sums.working_set,
                requests=sums.requests,
                limits=None if sums.without_limit else sums.limits,
                pods_without_limit=sums.without_limit,
                pod_count=len(order),
                eviction_order=order,
                memory_pressure=node.memory_pressure,
                usage_source=node_source.get(name),
                unknown_usage=node_unknown.get(name, 0),
            )
        )

    # pass 3: the pod views
    views: list[PodView] = []
    for (
        p,
        qos,
        computed,
        priority,
        request,
        request_exact,
        limit,
        usage,
        ws,
        _active,
        critical,
        status,
    ) in facts:
        node = node_by_name.get(p.node)
        capacity = node.capacity_memory if node else 0
        scores = pod_oom_score_adjs(p, capacity, qos_class=qos, priority=priority)
        containers = container_views(p, usage, scores)
        pod_level_limit = (
            p.pod_resources.memory_limit
            if p.pod_resources is not None and has_pod_level_resources(p) and p.pod_resources.memory_limit
            else None
        )
        worst = worst_container(containers, pod_level_limit=pod_level_limit, working_set=ws)
        key = (p.namespace, p.name)
        place = places.get(key, _NOT_RANKED)
        live = p.phase not in ("Succeeded", "Failed")
        evicted = eviction_of(p)
        if not live:
            total = ended_risk(history_text(status, p.node, evicted, containers))
            oom_r = ev_r = Risk("none")
        else:
            headroom = headroom_by_node.get(p.node)
            pressure = pressure_by_node.get(p.node)
            under_pressure = bool(pressure) or (headroom is not None and headroom < 0)
            oom = oom_risk(
                containers,
                qos_class=qos,
                node_under_pressure=under_pressure,
                pod_level_limit=pod_level_limit,
                pod_working_set=ws,
                now=now,
            )
            ev = eviction_risk(
                place,
                exceeds_request=(False if place.no_stats else None) if ws is None else ws > request_exact,
                excess=ws - request if ws is not None else None,
                qos_class=qos,
                request=request,
                capacity=capacity,
                headroom=headroom,
                memory_pressure=pressure,
            )
            total = overall_risk(oom, ev)
            oom_r, ev_r = oom.risk, ev.risk
        views.append(
            PodView(
                pod=p,
                qos_class=qos,
                qos_computed=computed,
                priority=priority,
                working_set=ws,
                request=request,
                limit=limit,
                containers=containers,
                worst_container=worst.container,
                worst_pct_of_limit=worst.pct_of_limit,
                headroom=worst.headroom,
                restarts=sum(c.restart_count for c in containers),
                oom_kills=sum(1 for c in containers if c.oom_killed),
                eviction=place,
                critical=critical,
                evicted=evicted,
                oom_risk=oom_r,
                eviction_risk=ev_r,
                risk=total.risk,
                risk_score=total.score,
                status=status,
                live=live,
                usage_source=usage.source if usage is not None and ws is not None else None,
                verdict=verdict(status, live, total.risk),
                over_request=None if ws is None else ws > request_exact,
            )
        )
    # history per node: evictions and OOM-killed containers, ended pods included
    history: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for v in views:
        if v.pod.node and (v.evicted is not None or v.oom_kills):
            h = history[v.pod.node]
            h[0] += v.evicted is not None
            h[1] += v.oom_kills
    if history:
        node_views = [
            msgspec.structs.replace(n, evictions=history[n.node.name][0], oom_killed=history[n.node.name][1])
            if n.node.name in history
            else n
            for n in node_views
        ]
    views.sort(key=lambda v: (-v.risk_score, v.pod.namespace, v.pod.name))
    node_views.sort(key=lambda n: n.node.name)

    timestamps = [u.timestamp for u in usage_by_key.values() if u.timestamp]
    timestamps += [u.timestamp for u in node_usage if u.timestamp]
    return Snapshot(
        pods=tuple(views),
        nodes=tuple(node_views),
        taken_at=taken_at,
        metrics_available=metrics_available,
        metrics_timestamp=max(timestamps) if timestamps else None,
        warnings=tuple(warnings),
    )
