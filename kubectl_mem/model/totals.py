"""Sums for a view's header: the pods in view, and the nodes they run on. Pure: no I/O.

Scoped to what is shown: under a namespace the pods' sums are that namespace's, never the requests
of every pod on its nodes; the nodes' sums say so by counting the nodes. A figure some pods or
nodes lack is summed over those that have it, and the count of the others is kept, so a view can
say "of 5 of 6 nodes" instead of adding an unknown as 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kubectl_mem.model.views import NodeView, PodView


@dataclass(frozen=True)
class PodTotals:
    count: int
    working_set: int | None  # over the pods that have one; None when none has
    without_usage: int  # running pods metrics.k8s.io had no figure for
    requests: int
    limits: int | None  # None: a pod without a limit makes the sum unbounded


@dataclass(frozen=True)
class NodeTotals:
    count: int
    working_set: int | None  # over the nodes that have one
    allocatable_of_known: int  # allocatable of those same nodes: the share is like for like
    without_usage: int
    allocatable: int
    requests: int  # every pod's on these nodes (the scheduler's view of them)
    tightest: NodeView | None  # the least HEADROOM: the node closest to evicting

    @property
    def pct_working_set(self) -> float | None:
        if self.working_set is None or not self.allocatable_of_known:
            return None
        return 100.0 * self.working_set / self.allocatable_of_known

    @property
    def pct_requests(self) -> float | None:
        return 100.0 * self.requests / self.allocatable if self.allocatable else None


def pod_totals(pods: Iterable[PodView]) -> PodTotals:
    count = requests = without = 0
    used: int | None = None
    limits: int | None = 0
    for p in pods:
        count += 1
        requests += p.request
        if p.working_set is not None:
            used = (used or 0) + p.working_set
        elif p.pod.phase == "Running":
            without += 1
        limits = None if limits is None or p.limit is None else limits + p.limit
    return PodTotals(count, used, without, requests, limits)


def node_totals(nodes: Iterable[NodeView]) -> NodeTotals:
    count = alloc = alloc_known = requests = without = 0
    used: int | None = None
    tightest: NodeView | None = None
    for n in nodes:
        count += 1
        alloc += n.node.allocatable_memory
        requests += n.requests
        if n.working_set is not None:
            used = (used or 0) + n.working_set
            alloc_known += n.node.allocatable_memory
        else:
            without += 1
        if n.headroom is not None and (
            tightest is None
            or tightest.headroom is None
            or (n.headroom, n.node.name) < (tightest.headroom, tightest.node.name)
        ):
            tightest = n
    return NodeTotals(count, used, alloc_known, without, alloc, requests, tightest)


def nodes_of(pods: Iterable[PodView], nodes: Iterable[NodeView]) -> list[NodeView]:
    """The nodes the pods run on (a namespace's nodes)."""
    names = {p.pod.node for p in pods}
    return [n for n in nodes if n.node.name in names]
