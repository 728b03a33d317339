"""The interactive view's data: pods and nodes listed once, then kept current by watches; only
metrics.k8s.io (which has no watch) and the handful of PriorityClasses are fetched at each refresh.

A 20k-pod refresh then costs the apiserver what a metrics LIST costs instead of a LIST of every pod.
The records are kept current event by event (`watch.Reflector`); each refresh builds the model's
snapshot from them and the fresh usage, as a one-shot fetch does. The kubelets' Summary API (for pods
metrics-server has no figure for) is asked again only when a node can tell something new (SummaryMemo).
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kubectl_mem.errors import ApiNotFoundError, ForbiddenError, KubectlMemError
from kubectl_mem.kube import decode, owners
from kubectl_mem.kube.fetch import (
    METRICS,
    ClusterData,
    Problem,
    Scope,
    Wire,
    metrics_path,
    metrics_problem,
    now_rfc3339,
    pods_path,
    with_owners,
)
from kubectl_mem.kube.http import Transport
from kubectl_mem.kube.lists import list_all
from kubectl_mem.kube.summary import SummaryMemo, fill_usage_gaps
from kubectl_mem.kube.watch import Reflector


@dataclass(frozen=True)
class LiveState:
    """How the watches are doing, for the header."""

    watching: bool = False  # every watch is open
    retry_in: float | None = None  # seconds to the next reconnect, while backing off
    error: str = ""  # why a watch is down
    relists: int = 0  # lists after the first (410 Gone)
    events: int = 0  # changes applied since the first list
    streaming: bool | None = None  # the server offers streaming lists (None: not asked)


def _pod_key(p: Any) -> str:
    return p.key


def _node_key(n: Any) -> str:
    return n.name


class LiveCluster:
    def __init__(
        self,
        transport: Transport,
        scope: Scope,
        wire: Wire,
        *,
        metrics_transport: Transport | None = None,
        poll_seconds: float = 10.0,
    ) -> None:
        self.transport = transport
        self.metrics_transport = metrics_transport or transport
        self.scope = scope
        self.wire = wire
        self.poll_seconds = poll_seconds  # lists again at this pace where watching is forbidden
        self._pods: Reflector | None = None
        self._nodes: Reflector | None = None
        self._context: Reflector | None = None  # every pod, when the view is narrowed (eviction ranks)
        self._nodes_problem: Problem | None = None
        self._context_problem: Problem | None = None
        self._owners: owners.OwnersResult | None = None  # with scope.owners (:workloads)
        self._owners_at = 0.0
        self._owner_keys: set[tuple[str, str, str]] = set()
        # the Summary fill-in asks a node again only when it can tell something new
        self.summary_memo = SummaryMemo()

    def _reflector(self, path: str, params: list[tuple[str, str]], codec, key) -> Reflector:
        return Reflector(
            self.transport,
            path,
            params,
            codec,
            key,
            streaming=self.wire.streaming,
            poll_seconds=self.poll_seconds,
        ).start()

    def _start(self) -> None:
        scope, wire = self.scope, self.wire
        self._pods = self._reflector(pods_path(scope.namespace), scope.pod_params(), wire.pods, _pod_key)
        node_params = [("fieldSelector", f"metadata.name={scope.node}")] if scope.node else []
        self._nodes = self._reflector("/api/v1/nodes", node_params, wire.nodes, _node_key)
        if scope.narrowed:
            self._context = self._reflector("/api/v1/pods", [], wire.pods, _pod_key)
        try:
            self._pods.wait_synced()  # required: its error is the view's error
        except BaseException:
            self.close()
            raise
        self._nodes_problem = self._optional(self._nodes, "nodes")
        if self._context is not None:
            self._context_problem = self._optional(self._context, "context")

    def _optional(self, r: Reflector, source: str) -> Problem | None:
        try:
            r.wait_synced()
            return None
        except (ForbiddenError, ApiNotFoundError) as e:
            r.stop()
            if source == "nodes":
                return Problem(
                    "nodes", f"node capacity unknown, so no node headroom or oom_score_adj: {e.message}"
                )
            why = f"cannot see the other pods of their nodes: {e.message}"
            return Problem("context", f"eviction ranks count only the pods shown ({why})")

    def fetch(self) -> ClusterData:
        """The current pods and nodes, with usage and priority classes fetched now."""
        if self._pods is None:
            self._start()
        assert self._pods is not None and self._nodes is not None
        scope, mt = self.scope, self.metrics_transport
        problems: list[Problem] = []
        taken_at = now_rfc3339()
        with ThreadPoolExecutor(max_workers=4) as pool:
            metrics_params = [("labelSelector", scope.label_selector)] if scope.label_selector else []
            # the shown pods' usage; with -n or -l the context pods' usage comes from the cluster-wide list
            wide = (
                self._context is not None
                and self._context_problem is None
                and (scope.namespace is not None or bool(scope.label_selector))
            )
            f_pod_metrics: Future = pool.submit(
                list_all,
                mt,
                metrics_path(None if wide else scope.namespace),
                decode.pod_metrics_page,
                [] if wide else metrics_params,
                limit=None,
            )
            f_node_metrics = pool.submit(
                list_all, mt, f"{METRICS}/nodes", decode.node_metrics_page, limit=None
            )
            f_priority = pool.submit(
                list_all,
                self.transport,
                "/apis/scheduling.k8s.io/v1/priorityclasses",
                decode.priority_classes_page,
            )
            metrics_available = True
            try:
                pod_usage = f_pod_metrics.result()
            except KubectlMemError as e:
                pod_usage, metrics_available = [], False
                problems.append(metrics_problem(e))
            try:
                node_usage = f_node_metrics.result()
            except KubectlMemError as e:
                node_usage = []
                if metrics_available:
                    problems.append(metrics_problem(e))
                    metrics_available = False
            try:
                priority_classes = f_priority.result()
            except (ForbiddenError, ApiNotFoundError) as e:
                priority_classes = []
                problems.append(
                    Problem("priorityclasses", f"priority classes not readable: {e.message}", partial=False)
                )
        pods = self._pods.items()
        nodes = self._nodes.items() if self._nodes_problem is None else []
        if self._nodes_problem is not None:
            problems.append(self._nodes_problem)
        shown: set[str] | None = None
        if scope.narrowed:
            shown = {p.key for p in pods}
            if self._context_problem is not None:
                problems.append(self._context_problem)
            elif self._context is not None and pods:
                wanted = {p.node for p in pods if p.node}
                pods = pods + [p for p in self._context.items() if p.node in wanted and p.key not in shown]
        owned = self._owner_lists(pods) if scope.owners else None
        data = ClusterData(
            pods=pods,
            shown=shown,
            nodes=nodes,
            pod_usage=pod_usage,
            node_usage=node_usage,
            priority_classes=priority_classes,
            metrics_available=metrics_available,
            taken_at=taken_at,
            problems=problems,
        )
        with_owners(data, owned)
        return fill_usage_gaps(self.transport, data, memo=self.summary_memo)

    OWNERS_EVERY = 60.0  # seconds: owners change with rollouts and scaling, not at every refresh

    def _owner_lists(self, pods: list[Any]) -> owners.OwnersResult:
        """The pods' owners (kube/owners.py), listed again after OWNERS_EVERY, or at once when a pod
        names a ReplicaSet or Job the last lists did not have (a rollout, a new run)."""
        now = time.monotonic()
        fresh = self._owners is not None and now - self._owners_at < self.OWNERS_EVERY
        if fresh and self._owners is not None:
            listed = self._owners.listed
            known = self._owner_keys
            fresh = all(
                (p.owner_kind, p.namespace, p.owner_name) in known
                for p in pods
                if p.owner_kind in ("ReplicaSet", "Job") and p.owner_kind in listed
            )
        if not fresh or self._owners is None:
            with ThreadPoolExecutor(max_workers=len(owners.OWNER_LISTS)) as pool:
                result = owners.collect(
                    owners.submit(pool, self.transport, self.scope.namespace), self.scope.namespace
                )
            self._owners, self._owners_at = result, now
            self._owner_keys = {(c.kind, c.namespace, c.name) for c in result.controllers}
        return self._owners

    def state(self) -> LiveState:
        live = [
            r for r in (self._pods, self._nodes, self._context) if r is not None and r.first_error is None
        ]
        if not live:
            return LiveState()
        down = [r.state for r in live if not r.state.connected]
        retry = [s.retry_at for s in down if s.retry_at is not None]
        now = time.monotonic()
        return LiveState(
            watching=not down,
            retry_in=max(0.0, min(retry) - now) if retry else None,
            error=next((s.error for s in down if s.error), ""),
            relists=sum(r.state.relists for r in live),
            events=sum(r.state.events for r in live),
            streaming=self.transport.streaming_lists,
        )

    def close(self) -> None:
        for r in (self._pods, self._nodes, self._context):
            if r is not None:
                r.stop()
        self._pods = self._nodes = self._context = None
