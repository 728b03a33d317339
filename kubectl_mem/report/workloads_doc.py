"""The `workloads -o json|yaml` documents (docs/workloads.md): kind WorkloadMemoryList, or
NamespaceMemoryList with `--by namespace`. Versioned with the others (document.API_VERSION).

Unknown is null, never 0: `usedBytes` without any measured pod, `desired` of a workload whose
object could not be read, a recommendation without usage.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from kubectl_mem.model.recommend import Recommendation
from kubectl_mem.model.views import Snapshot
from kubectl_mem.model.workloads import (
    DaemonSetNode,
    NamespaceRow,
    Totals,
    WorkloadRecommendation,
    WorkloadRow,
    Workloads,
)
from kubectl_mem.report.document import API_VERSION


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


def _recommendation(w: WorkloadRecommendation | None) -> dict[str, Any] | None:
    if w is None:
        return None
    r: Recommendation = w.recommendation
    return {
        "containers": [
            {
                "name": c.container,
                "basis": c.basis,
                "limitBasis": c.limit_basis,
                "usageBytes": c.usage,
                "currentRequestBytes": c.current_request,
                "currentLimitBytes": c.current_limit,
                "requestBytes": c.request,
                "limitBytes": c.limit,
                "oomBump": c.oom_bump,
                "changed": c.changed,
            }
            for c in r.containers
        ],
        "savingBytes": w.saving,
        "samples": w.samples,
        "history": w.history,
        "qosBefore": r.qos_before,
        "qosAfter": r.qos_after,
        "target": r.target,
        "command": r.command or None,
        "commandKind": r.command_kind,
        "caveats": list(r.caveats),
    }


def workload_doc(r: WorkloadRow) -> dict[str, Any]:
    d = r.daemonset
    s = r.spread
    return {
        "kind": r.kind,
        "namespace": r.namespace,
        "name": r.name,
        "ownerInferred": r.inferred,
        "pods": {
            "active": r.active,
            "desired": r.desired,
            "unmeasured": r.unmeasured,
            "idleUnmeasured": r.idle_unmeasured,
            "names": [pv.pod.name for pv in r.pods],
        },
        **_sums(r),
        "workingSetPerReplica": None
        if s is None
        else {"minBytes": s.min, "medianBytes": s.median, "maxBytes": s.max},
        "daemonSet": None
        if d is None
        else {
            "nodes": d.nodes,
            "requestPerPodBytes": d.request_per_pod,
            "allocatableShareMinPercent": _round(d.share_min),
            "allocatableShareMaxPercent": _round(d.share_max),
        },
        "recommendation": _recommendation(r.recommendation),
    }


def _sums(r: WorkloadRow | NamespaceRow) -> dict[str, Any]:
    """The figures a workload row and a namespace row both carry, under the same keys."""
    return {
        "requestedBytes": r.requested,
        "usedBytes": r.used,
        "idleBytes": r.idle,
        "idlePercent": _round(r.idle_pct),
        "limitsBytes": r.limits,
        "containersWithoutLimit": r.containers_without_limit,
        "bestEffortPods": r.best_effort,
        "oomKills": r.oom_kills,
        "evictions": r.evictions,
    }


def namespace_doc(r: NamespaceRow) -> dict[str, Any]:
    return {
        "namespace": r.namespace,
        "workloads": r.workloads,
        "activePods": r.active,
        "unmeasuredPods": r.unmeasured,
        "idleUnmeasuredPods": r.idle_unmeasured,
        **_sums(r),
        "savingBytes": r.saving,
    }


def _totals(t: Totals) -> dict[str, Any]:
    return {
        "nodes": t.nodes,
        "allocatableBytes": t.allocatable,
        "activePods": t.active,
        "unmeasuredPods": t.unmeasured,
        "idleUnmeasuredPods": t.idle_unmeasured,
        "requestedBytes": t.requested,
        "usedBytes": t.used,
        "idleBytes": t.idle,
        "idlePercent": _round(t.idle_pct),
        "podsWithoutLimit": t.pods_without_limit,
        "bestEffortPods": t.best_effort,
        "oomKills": t.oom_kills,
        "evictions": t.evictions,
        "savingBytes": t.saving,
    }


def _daemonsets(t: Totals, nodes: Sequence[DaemonSetNode]) -> dict[str, Any]:
    return {
        "requestedBytes": t.daemonset_requested,
        "usedBytes": t.daemonset_used,
        "unmeasuredPods": t.daemonset_unmeasured,
        "perNodeMinBytes": t.daemonset_per_node_min,
        "perNodeMaxBytes": t.daemonset_per_node_max,
        "perNode": [
            {
                "node": n.node,
                "pods": n.pods,
                "requestedBytes": n.requested,
                "usedBytes": n.used,
                "unmeasuredPods": n.unmeasured,
                "allocatableBytes": n.allocatable,
                "allocatablePercent": _round(n.share),
            }
            for n in nodes
        ],
    }


def workloads_document(
    w: Workloads,
    snapshot: Snapshot,
    rows: Sequence[WorkloadRow] | Sequence[NamespaceRow],
    *,
    by_namespace: bool,
    context: str,
    namespace: str | None,
    owners_listed: Iterable[str],
    owners_not_listed: Iterable[str],
    warnings: Iterable[tuple[str, str]] = (),
) -> dict[str, Any]:
    # lazily: document.write_json encodes one item at a time
    items: Iterator[dict[str, Any]] = map(namespace_doc if by_namespace else workload_doc, rows)  # type: ignore[arg-type]
    return {
        "apiVersion": API_VERSION,
        "kind": "NamespaceMemoryList" if by_namespace else "WorkloadMemoryList",
        "metadata": {
            "context": context,
            "namespace": namespace,
            "takenAt": snapshot.taken_at,
            "metricsAvailable": snapshot.metrics_available,
            "metricsTimestamp": snapshot.metrics_timestamp,
            "ownersListed": sorted(owners_listed),
            "ownersNotListed": sorted(owners_not_listed),
            "totals": _totals(w.totals),
            "daemonSets": _daemonsets(w.totals, w.daemonset_nodes),
        },
        "warnings": [{"source": s, "message": m} for s, m in warnings],
        "items": items,
    }
