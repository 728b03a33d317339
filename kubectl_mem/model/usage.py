"""Per-container memory against request and limit, and the pod's tightest spot.

Percentages are floats on a 0-100 scale (96.0 means 96 %), computed against each container's own
request or limit. A pod's total usage is never divided by a sum of only the limits that are set:
the only pod-wide percentage is against a real pod cgroup limit, the pod-level
`spec.resources.limits.memory` (a sum of container limits can never be hit before one of them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from kubectl_mem.model.history import last_termination, was_oom_killed
from kubectl_mem.model.records import ContainerStatus, Pod, PodUsage
from kubectl_mem.model.views import ContainerView


def pct(part: int | None, whole: int | None) -> float | None:
    """part / whole * 100, or None when either is unknown or whole is not positive."""
    if part is None or not whole or whole <= 0:
        return None
    return part * 100.0 / whole


def usage_by_container(usage: PodUsage | None) -> dict[str, int] | None:
    if usage is None:
        return None
    return {c.name: c.working_set for c in usage.containers}


def pod_working_set(usage: PodUsage | None, pod: Pod | None = None) -> int | None:
    """The pod's working set: the pod cgroup's from the Summary API when read, else the sum of its
    containers' (metrics.k8s.io has no pod-level or pause value).

    None (unknown) without usage, or when a container of `pod` is running but has no figure: a
    sum without it would be a guess presented as fact. A container that is not running (waiting
    in back-off, terminated) has no processes, so its absence costs nothing."""
    if usage is None:
        return None
    if usage.pod_working_set is not None:
        return usage.pod_working_set
    if pod is not None and len(pod.statuses) > len(usage.containers):
        have = {c.name for c in usage.containers}
        if any(s.state == "running" and s.name not in have for s in pod.statuses):
            return None
    return sum(c.working_set for c in usage.containers)


def container_views(
    pod: Pod, usage: PodUsage | None, oom_scores: Mapping[str, int]
) -> tuple[ContainerView, ...]:
    """One view per spec container (init and sidecar first, as in the spec)."""
    ws_by_name = {u.name: u.working_set for u in usage.containers} if usage is not None else {}
    status_by_name: dict[str, ContainerStatus] = {s.name: s for s in pod.statuses}
    views = []
    for c in pod.containers:
        ws = ws_by_name.get(c.name)
        request = c.resources.memory_request or None
        limit = c.resources.memory_limit or None
        s = status_by_name.get(c.name)
        known = ws is not None
        views.append(
            ContainerView(
                c.name,
                c.kind,
                ws,
                request,
                limit,
                ws * 100.0 / request if known and request else None,  # request > 0: `or None` above
                ws * 100.0 / limit if known and limit else None,
                limit - ws if known and limit else None,
                oom_scores.get(c.name, 0),
                s.restart_count if s else 0,
                last_termination(s) if s else None,
                was_oom_killed(s) if s else False,
                s.state if s else "unknown",
                s.state_reason if s else "",
            )
        )
    return tuple(views)


class Worst(NamedTuple):
    container: str | None  # None when the pod-level limit is the tightest (or nothing is known)
    pct_of_limit: float | None
    headroom: int | None


def worst_container(
    views: tuple[ContainerView, ...], *, pod_level_limit: int | None = None, working_set: int | None = None
) -> Worst:
    """The container closest to its limit (highest % of limit; first in spec order on ties).

    When the pod has a pod-level memory limit and the pod is closer to it than any container to
    its own, the result names no container and carries the pod's percentage and headroom.
    """
    best: ContainerView | None = None
    for v in views:
        if v.pct_of_limit is not None and (best is None or v.pct_of_limit > (best.pct_of_limit or 0.0)):
            best = v
    result = Worst(best.name, best.pct_of_limit, best.headroom) if best else Worst(None, None, None)
    pod_pct = pct(working_set, pod_level_limit)
    if (
        pod_pct is not None
        and pod_level_limit is not None
        and working_set is not None
        and (result.pct_of_limit is None or pod_pct > result.pct_of_limit)
    ):
        return Worst(None, pod_pct, pod_level_limit - working_set)
    return result
