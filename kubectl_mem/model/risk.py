"""Two risks per pod, each a level with short reasons, and one sort score.

OOM-kill risk: each container's working set against its own cgroup limit (and the pod against a
pod-level limit). The thresholds follow k9s (warn 70 %, critical 90 %) with one more step:

- critical: >= 95 % of a limit, or OOMKilled in the last 24 h and still >= 80 %
- high:     >= 90 % of a limit, or the last termination was OOMKilled
- medium:   >= 70 % of a limit, or the last termination was a SIGKILL (exit 137) that was not an
            OOM kill, or a container without limit (Burstable/BestEffort) on a node under memory
            pressure (the node OOM killer then picks by oom_score_adj)
- low:      anything else we have data for
- unknown:  no metrics and no kill history

Eviction risk: the pod's place in its node's eviction order (counting only pods the kubelet can
evict: critical ones are skipped) against the node's distance to its hard threshold. "First
ranked" means among the first 3 evictable pods (about 30 s of the 10 s eviction loop, one pod each).

- critical: the node is under pressure (MemoryPressure condition or headroom < 0) and the pod is
            among the first 3
- high:     under pressure and the pod uses more than its request; or the node is tight
            (headroom < max(10 % of capacity, 256Mi)) and the pod is among the first 3 or uses more
            than its request
- medium:   under pressure otherwise; tight otherwise; or the node is warm (headroom < 25 % of
            capacity) and the pod is among the first 3 and over its request, or BestEffort
- low:      otherwise, not running, or critical (the kubelet never evicts critical pods)
- unknown:  no node metrics and no MemoryPressure condition

Where usage is unknown (the pod's, or that of pods it could overtake) the place is a range
(`EvictionPlace`) and "over its request" is open: the level is the one that holds in the best
case (the latest place, not over its request), and `up_to` names the worst case. A pod is never
rated critical, or first, on usage nobody measured.

An ended pod (Succeeded, Failed, Evicted) has no live risk: level `none`, its story as history.

The overall risk is the higher of the two. `risk_score` = 1000 x level + closeness, closeness in
[0, 1000): for OOM 5 x % of limit (capped), for eviction 500 / position + 499 x (how much of the
node's capacity is used up to the threshold). Higher is sooner killed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from kubectl_mem.model.history import SIGKILL_EXIT_CODE
from kubectl_mem.model.quantity import format_bytes
from kubectl_mem.model.views import RISK_ORDER, ContainerView, EvictionPlace, Risk, RiskLevel
from kubectl_mem.model.words import duration, parse_time

CRITICAL_PCT = 95.0
CRITICAL_AFTER_OOM_PCT = 80.0
HIGH_PCT = 90.0  # k9s critical
MEDIUM_PCT = 70.0  # k9s warn
RECENT_OOM = timedelta(hours=24)
FIRST_RANKED = 3
TIGHT_FRACTION = 0.10
TIGHT_MIN_BYTES = 256 * 1024 * 1024
WARM_FRACTION = 0.25
_LEVELS: dict[int, RiskLevel] = {v: k for k, v in RISK_ORDER.items()}  # type: ignore[misc]


class Scored(NamedTuple):
    risk: Risk
    score: float


def _age(finished: datetime | None, now: datetime | None) -> str:
    if finished is None or now is None or now < finished:
        return ""
    return f"{duration((now - finished).total_seconds())} ago"


def _score(level: RiskLevel, closeness: float) -> float:
    return RISK_ORDER[level] * 1000 + min(max(closeness, 0.0), 999.0)


def _pct_closeness(p: float | None) -> float:
    return min(p, 199.8) * 5 if p is not None else 0.0


def _limit_level(p: float | None) -> RiskLevel | None:
    if p is None:
        return None
    if p >= CRITICAL_PCT:
        return "critical"
    if p >= HIGH_PCT:
        return "high"
    if p >= MEDIUM_PCT:
        return "medium"
    return None


def oom_risk(
    containers: Sequence[ContainerView],
    *,
    qos_class: str,
    node_under_pressure: bool = False,
    pod_level_limit: int | None = None,
    pod_working_set: int | None = None,
    now: datetime | None = None,
) -> Scored:
    """OOM-kill risk of a pod (see the module docstring for the thresholds)."""
    # (level, closeness, reason code, container, finished): reasons are formatted only for the
    # winning level, which keeps a 20k-pod snapshot cheap
    found: list[tuple[int, float, str, ContainerView | None, datetime | None]] = []
    known = False
    for c in containers:
        p = c.pct_of_limit
        if c.working_set is not None:
            known = True
        t = c.last_termination
        level = _limit_level(p) if p is not None else None
        code, finished = "at_limit", None
        if c.oom_killed:
            known = True
            finished = parse_time(t.finished_at) if t else None
            recent = finished is None or now is None or now - finished <= RECENT_OOM
            if p is not None and p >= CRITICAL_AFTER_OOM_PCT and recent:
                level, code = "critical", "oom_then"
            elif level not in ("critical", "high"):
                level, code = "high", "oom_killed"
        elif t is not None and t.exit_code == SIGKILL_EXIT_CODE and level is None:
            known = True
            level, code = "medium", "sigkill"
        if level is None:
            if c.limit is None and qos_class != "Guaranteed" and node_under_pressure:
                level, code = "medium", "unbounded_pressure"
            elif p is not None:
                level = "low"
            elif c.limit is None and c.working_set is not None:
                level, code = "low", "unbounded"
        if level is not None:
            closeness = _pct_closeness(p) if p is not None else min(c.restart_count, 99) * 5.0
            found.append((RISK_ORDER[level], closeness, code, c, finished))
    if pod_level_limit and pod_working_set is not None:
        known = True
        pod_pct = pod_working_set * 100.0 / pod_level_limit
        level = _limit_level(pod_pct) or "low"
        text = f"pod at {pod_pct:.0f}% of its pod-level {format_bytes(pod_level_limit)} limit"
        found.append((RISK_ORDER[level], _pct_closeness(pod_pct), text, None, None))
    if not found:
        level = "low" if known else "unknown"
        return Scored(Risk(level), _score(level, 0.0))
    top = max(f[0] for f in found)
    same = sorted((f for f in found if f[0] == top), key=lambda f: -f[1])
    level = _LEVELS[top]
    reasons = tuple(_oom_reason(code, c, finished, now) for _, _, code, c, finished in same[:3])
    return Scored(Risk(level, reasons), _score(level, same[0][1]))


def _oom_reason(code: str, c: ContainerView | None, finished: datetime | None, now: datetime | None) -> str:
    if c is None:
        return code  # already the text
    if code == "at_limit":
        return f"{c.name} at {c.pct_of_limit:.0f}% of its {format_bytes(c.limit or 0)} limit"
    if code in ("oom_then", "oom_killed"):
        age = _age(finished, now)
        when = f" {age}" if age else ""
        if code == "oom_then":
            return f"{c.name} OOMKilled{when}, now at {c.pct_of_limit:.0f}% of its limit"
        restarts = f", restarted {c.restart_count} times" if c.restart_count else ""
        return f"{c.name} OOMKilled{when}{restarts}"
    if code == "sigkill":
        return f"{c.name} was killed by SIGKILL (exit 137), not an OOM kill"
    if code == "unbounded_pressure":
        return f"{c.name} has no memory limit on a node under memory pressure"
    return f"{c.name} has no memory limit"


def _eviction_level(
    pos: int, exceeds: bool, *, pressure: bool, headroom: int | None, capacity: int, qos_class: str
) -> RiskLevel:
    first = 0 < pos <= FIRST_RANKED
    if pressure:
        return "critical" if first else "high" if exceeds else "medium"
    if headroom is None:
        return "unknown"
    if headroom < max(capacity * TIGHT_FRACTION, TIGHT_MIN_BYTES):
        return "high" if first or exceeds else "medium"
    if headroom < capacity * WARM_FRACTION and ((first and exceeds) or qos_class == "BestEffort"):
        return "medium"
    return "low"


def eviction_risk(
    place: EvictionPlace,
    *,
    exceeds_request: bool | None,
    excess: int | None,
    qos_class: str,
    request: int,
    capacity: int,
    headroom: int | None,
    memory_pressure: bool | None,
) -> Scored:
    """Eviction risk of a pod on its node (see the module docstring for the thresholds).

    `place`: its place among the pods the kubelet may evict (a range when usage is unknown);
    `exceeds_request`: None when its usage is unknown. The level is the one that holds whatever
    the unknown usage is (the latest place, not over its request); `up_to` is the worst it could be.
    """
    if not place.ranked:
        return Scored(Risk("low", ("not running on a node",)), _score("low", 0.0))
    if place.critical:
        return Scored(Risk("low", (place.words,)), _score("low", 0.0))
    first, last = place.first or 0, place.last or 0
    pressure = bool(memory_pressure) or (headroom is not None and headroom < 0)
    common = {"pressure": pressure, "headroom": headroom, "capacity": capacity, "qos_class": qos_class}
    level = _eviction_level(last, bool(exceeds_request), **common)  # type: ignore[arg-type]
    if first == last and exceeds_request is not None:
        worst = level  # nothing unknown: one level
    else:
        worst = _eviction_level(first, exceeds_request is not False, **common)  # type: ignore[arg-type]
    up_to = worst if RISK_ORDER[worst] > RISK_ORDER[level] else None
    closeness = 500.0 / last if last else 0.0
    if headroom is not None and capacity > 0:
        closeness += 499.0 * min(max(1.0 - headroom / capacity, 0.0), 1.0)

    where = place.words
    if headroom is not None:
        where += f", {format_bytes(abs(headroom))} {'above' if headroom >= 0 else 'below'} threshold"
    reasons = [where]
    if place.no_stats:
        reasons.append(
            "the kubelet has no stats for it (absent from its Summary API: no container running), and "
            "ranks pods without stats first"
        )
    if not place.exact:
        reasons.append(_range_reason(place, exceeds_request is None))
    if level != "low" or up_to is not None:
        if memory_pressure:
            reasons.append(f"{place.node} reports MemoryPressure")
        if qos_class == "BestEffort":
            reasons.append("BestEffort: no memory request")
        elif exceeds_request and excess is not None:
            reasons.append(f"using {format_bytes(excess)} more than its {format_bytes(request)} request")
    return Scored(Risk(level, tuple(reasons), up_to), _score(level, closeness))


def _range_reason(place: EvictionPlace, own_unknown: bool) -> str:
    others = place.unknown - (1 if own_unknown else 0)
    parts = []
    if own_unknown:
        parts.append("its usage is unknown")
    if others > 0:
        parts.append(
            f"the usage of {others} other pod{'s' if others != 1 else ''} on {place.node} is unknown"
        )
    return " and ".join(parts) + ": its place in the eviction order is only known within that range"


def overall_risk(oom: Scored, eviction: Scored) -> Scored:
    """The higher of the two, with the reasons of both (the higher's first); `up_to` when one of
    them could be higher than that."""
    hi, lo = (oom, eviction) if oom.score >= eviction.score else (eviction, oom)
    reasons = hi.risk.reasons + tuple(r for r in lo.risk.reasons if r not in hi.risk.reasons)
    level = hi.risk.level
    ups = [r.up_to for r in (oom.risk, eviction.risk) if r.up_to is not None]
    up_to = max(ups, key=RISK_ORDER.__getitem__) if ups else None
    if up_to is not None and RISK_ORDER[up_to] <= RISK_ORDER[level]:
        up_to = None
    return Scored(Risk(level, reasons, up_to), hi.score)


def ended_risk(history: str) -> Scored:
    """An ended pod (Succeeded, Failed, Evicted): no live risk, its story is history."""
    return Scored(Risk("none", (history,)), _score("none", 0.0))
