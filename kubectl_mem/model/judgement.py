"""The words of a pod's judgement, made once in the model and said alike by every view.

`top` (every -o), `nodes`, `explain`, `cgroups` and the interactive view show a pod's STATUS, risk,
eviction place and verdict from `PodView`; none of them judges again. The verdict is one sentence:
the risk level and its first reason, the STATUS when it is not plain Running, and for an ended pod
what happened, as history.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubectl_mem.model.history import describe_termination
from kubectl_mem.model.views import ContainerView, EvictionMessage, Risk

USAGE_UNKNOWN = "usage unknown (no metrics, no Summary API figure)"


def history_text(
    status: str, node: str, evicted: EvictionMessage | None, containers: Sequence[ContainerView]
) -> str:
    """What an ended pod's story was, for its risk reason and verdict."""
    if evicted is not None:
        what = (
            f"node {node or '?'} ran low on {evicted.resource}"
            if evicted.resource
            else "the kubelet evicted it"
        )
        return f"Evicted: {what}; history, no live risk"
    oom = [c.name for c in containers if c.oom_killed]
    if oom:
        return f"{status}: {', '.join(oom)} OOM-killed before the pod ended; history, no live risk"
    if status == "Completed" or status == "Succeeded":
        return "Completed: the pod has ended; no live risk"
    last = next((c for c in containers if c.last_termination is not None and c.kind != "init"), None)
    tail = (
        f" ({last.name} {describe_termination(last.last_termination)})"
        if last and last.last_termination
        else ""
    )
    return f"{status}: the pod has ended{tail}; history, no live risk"


def verdict(status: str, live: bool, risk: Risk) -> str:
    """One sentence: `High risk (CrashLoopBackOff): api OOMKilled 3m ago, restarted 5 times.`"""
    if not live:
        return (risk.reasons[0] if risk.reasons else f"{status}: the pod has ended") + "."
    shown = "" if status in ("Running", "") else f" ({status})"
    if risk.level == "unknown":
        head = f"Risk unknown{shown}: {USAGE_UNKNOWN}"
    elif risk.level == "low":
        head = f"Low risk{shown}: " + (risk.reasons[0] if risk.reasons else "nothing close to a limit")
    else:
        head = f"{risk.level.capitalize()} risk{shown}: " + (risk.reasons[0] if risk.reasons else "")
    if risk.up_to is not None:
        head += f"; it could be {risk.up_to}, as usage the view does not know decides"
    return head + "."
