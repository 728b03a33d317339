"""The machine-readable documents of `-o json|yaml`: versioned, documented in docs/schema.md.

Bump API_VERSION on any incompatible change (a renamed or removed field, a changed meaning);
adding a field is compatible.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

import msgspec

from kubectl_mem.model.records import Termination
from kubectl_mem.model.views import (
    ContainerView,
    EvictionMessage,
    EvictionPlace,
    NodeView,
    PodView,
    Risk,
    Snapshot,
)

if TYPE_CHECKING:
    from kubectl_mem.model.cgroup import CgroupOverlay

API_VERSION = "kubectl-mem.io/v1alpha2"
# v1alpha2: pods gain status, live, verdict, workingSetSource, risk.upTo and `eviction` (a place
# counted among evictable pods only, a range where usage is unknown), replacing evictionRank and
# critical; risk.level `none` for ended pods; nodes gain evictions, oomKilled, unknownUsage,
# workingSetSource; evictionOrder entries carry the same place.


def _termination(t: Termination | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {
        "reason": t.reason,
        "exitCode": t.exit_code,
        "signal": t.signal,
        "startedAt": t.started_at,
        "finishedAt": t.finished_at,
    }


def _risk(r: Risk) -> dict[str, Any]:
    return {"level": r.level, "upTo": r.up_to, "reasons": list(r.reasons)}


def place_doc(e: EvictionPlace) -> dict[str, Any]:
    """A pod's place in its node's eviction order, as `top`, `nodes` and `explain` say it."""
    return {
        "text": e.text,
        "ranked": e.ranked,
        "critical": e.critical,
        "first": e.first,
        "last": e.last,
        "exact": e.exact,
        "of": e.of if e.ranked else None,
        "unknownUsage": e.unknown if e.ranked else None,
        "noStats": e.no_stats,
    }


def _evicted(e: EvictionMessage | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {
        "resource": e.resource,
        "threshold": e.threshold,
        "available": e.available,
        "containers": [{"name": n, "usageBytes": u, "requestBytes": q} for n, u, q in e.containers],
        "message": e.raw,
    }


def container_doc(c: ContainerView) -> dict[str, Any]:
    return {
        "name": c.name,
        "kind": c.kind,
        "workingSetBytes": c.working_set,
        "requestBytes": c.request,
        "limitBytes": c.limit,
        "percentOfRequest": _round(c.pct_of_request),
        "percentOfLimit": _round(c.pct_of_limit),
        "headroomBytes": c.headroom,
        "oomScoreAdj": c.oom_score_adj,
        "restartCount": c.restart_count,
        "state": c.state,
        "stateReason": c.state_reason,
        "oomKilled": c.oom_killed,
        "lastTermination": _termination(c.last_termination),
    }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


def pod_doc(p: PodView, cgroups: CgroupOverlay | None = None) -> dict[str, Any]:
    """One pod; with `cgroups` (--cgroups) a `cgroup` object on the pod and each container,
    null where its node was not collected."""
    doc = _pod_doc(p)
    if cgroups is not None:
        from kubectl_mem.report.cgroups import figures_doc

        pc = cgroups.pod(p.pod.uid)
        doc["cgroup"] = figures_doc(pc.figures) if pc is not None else None
        for c, cdoc in zip(p.containers, doc["containers"], strict=True):
            f = pc.container(c.name) if pc is not None else None
            cdoc["cgroup"] = figures_doc(f) if f is not None else None
    return doc


def _pod_doc(p: PodView) -> dict[str, Any]:
    pod = p.pod
    return {
        "namespace": pod.namespace,
        "name": pod.name,
        "uid": pod.uid,
        "node": pod.node or None,
        "phase": pod.phase,
        "status": p.status,
        "live": p.live,
        "qosClass": p.qos_class,
        "qosComputed": p.qos_computed,
        "priority": p.priority,
        "priorityClassName": pod.priority_class_name or None,
        "workingSetBytes": p.working_set,
        "workingSetSource": p.usage_source,
        "requestBytes": p.request,
        "limitBytes": p.limit,
        "worstContainer": p.worst_container,
        "worstPercentOfLimit": _round(p.worst_pct_of_limit),
        "headroomBytes": p.headroom,
        "restarts": p.restarts,
        "oomKills": p.oom_kills,
        "eviction": place_doc(p.eviction),
        "evicted": _evicted(p.evicted),
        "risk": {
            "level": p.risk.level,
            "upTo": p.risk.up_to,
            "score": round(p.risk_score, 4),
            "reasons": list(p.risk.reasons),
            "oom": _risk(p.oom_risk),
            "eviction": _risk(p.eviction_risk),
        },
        "verdict": p.verdict,
        "containers": [container_doc(c) for c in p.containers],
    }


def node_doc(
    n: NodeView, pods_by_key: dict[str, PodView] | None = None, cgroups: CgroupOverlay | None = None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": n.node.name,
        "capacityBytes": n.node.capacity_memory,
        "allocatableBytes": n.node.allocatable_memory,
        "workingSetBytes": n.working_set,
        "workingSetSource": n.usage_source,
        "availableBytes": n.available,
        "evictionThresholdBytes": n.threshold,
        "headroomBytes": n.headroom,
        "allocatableHeadroomBytes": n.allocatable_headroom,
        "memoryPressure": n.memory_pressure,
        "ready": n.node.ready,
        "requestsBytes": n.requests,
        "limitsBytes": n.limits,
        "podsWithoutLimit": n.pods_without_limit,
        "podCount": n.pod_count,
        "unknownUsage": n.unknown_usage,
        "evictions": n.evictions,
        "oomKilled": n.oom_killed,
    }
    if cgroups is not None:
        from kubectl_mem.model.cgroup import available_from
        from kubectl_mem.report.cgroups import node_figures_doc

        own = cgroups.node(n.node.name)
        doc["availableFrom"] = available_from(cgroups, n.node.name) if n.available is not None else None
        doc["cgroup"] = node_figures_doc(own) if own is not None else None
        doc["cgroupError"] = cgroups.failed.get(n.node.name)
    if pods_by_key is not None:
        order = []
        for key in n.eviction_order:
            p = pods_by_key.get(key)
            ns, _, name = key.partition("/")
            entry: dict[str, Any] = {"namespace": ns, "name": name}
            if p is not None:
                entry |= {
                    "eviction": place_doc(p.eviction),
                    "status": p.status,
                    "qosClass": p.qos_class,
                    "priority": p.priority,
                    "workingSetBytes": p.working_set,
                    "requestBytes": p.request,
                    "exceedsRequest": p.over_request,
                }
            order.append(entry)
        doc["evictionOrder"] = order
    return doc


def _meta(
    snapshot: Snapshot, context: str, namespace: str | None, warnings: Iterable[tuple[str, str]]
) -> dict:
    return {
        "metadata": {
            "context": context,
            "namespace": namespace,
            "takenAt": snapshot.taken_at,
            "metricsAvailable": snapshot.metrics_available,
            "metricsTimestamp": snapshot.metrics_timestamp,
        },
        "warnings": [{"source": s, "message": m} for s, m in warnings],
    }


def pods_document(
    snapshot: Snapshot,
    pods: Sequence[PodView],
    *,
    context: str,
    namespace: str | None,
    warnings: Iterable[tuple[str, str]] = (),
    cgroups: CgroupOverlay | None = None,
) -> dict[str, Any]:
    nodes = {p.pod.node for p in pods}
    return {
        "apiVersion": API_VERSION,
        "kind": "PodMemoryList",
        **_meta(snapshot, context, namespace, warnings),
        # lazily: write_json encodes one pod at a time
        "items": map(pod_doc, pods) if cgroups is None else (pod_doc(p, cgroups) for p in pods),
        "nodes": [node_doc(n, cgroups=cgroups) for n in snapshot.nodes if n.node.name in nodes],
    }


def nodes_document(
    snapshot: Snapshot,
    nodes: Sequence[NodeView],
    *,
    context: str,
    warnings: Iterable[tuple[str, str]] = (),
    cgroups: CgroupOverlay | None = None,
) -> dict[str, Any]:
    by_key = {p.key: p for p in snapshot.pods}
    return {
        "apiVersion": API_VERSION,
        "kind": "NodeMemoryList",
        **_meta(snapshot, context, None, warnings),
        "items": [node_doc(n, by_key, cgroups) for n in nodes],
    }


def write_json(doc: dict[str, Any], out: TextIO) -> None:
    """Indented JSON, written list element by list element: at 20k pods the whole document as one
    string (and its indented copy) would double the command's peak memory."""
    out.write("{")
    for i, (key, value) in enumerate(doc.items()):
        out.write(("," if i else "") + "\n  " + _encode(key) + ": ")
        if isinstance(value, (list, Iterator)):
            first = True
            for element in value:
                out.write(("[\n    " if first else ",\n    ") + _indented(element, "    "))
                first = False
            out.write("[]" if first else "\n  ]")
        else:
            out.write(_indented(value, "  "))
    out.write("\n}\n")


def _encode(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _indented(value: Any, prefix: str) -> str:
    return msgspec.json.format(msgspec.json.encode(value), indent=2).decode().replace("\n", "\n" + prefix)


def to_json(doc: dict[str, Any]) -> str:
    buf = io.StringIO()
    write_json(doc, buf)
    return buf.getvalue()


def to_yaml(doc: dict[str, Any]) -> str:
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    doc = {k: list(v) if isinstance(v, Iterator) else v for k, v in doc.items()}
    return yaml.dump(doc, Dumper=dumper, sort_keys=False, default_flow_style=False, width=1000)
