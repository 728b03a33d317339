"""The one way views get data: connect, fetch, build the model's snapshot.

The CLI calls it once; the TUI calls `SnapshotSource.load()` from its refresh worker.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

from kubectl_mem.kube.config import Connection, connect
from kubectl_mem.kube.fetch import ClusterData, Problem, Scope, Wire, fetch
from kubectl_mem.kube.http import Transport
from kubectl_mem.kube.live import LiveCluster
from kubectl_mem.kube.protocol import DEFAULT_PROTOCOL, DEFAULT_STREAMING, Protocol
from kubectl_mem.model.owners import Owners
from kubectl_mem.model.snapshot import build_snapshot
from kubectl_mem.model.views import PodView, Snapshot


@dataclass
class Loaded:
    snapshot: Snapshot
    shown: list[PodView]  # the pods in scope (context pods of their nodes left out)
    problems: list[Problem] = field(default_factory=list)
    owners: Owners | None = None  # the pods' owners, when listed (SnapshotSource.owners)

    @property
    def partial(self) -> bool:
        return any(p.partial for p in self.problems)


@dataclass
class SnapshotSource:
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None  # -n; None: the context's namespace
    all_namespaces: bool = False
    label_selector: str = ""
    field_selector: str = ""
    node: str = ""
    request_timeout: str | None = None
    eviction_threshold: str = "100Mi"
    protocol: Protocol = DEFAULT_PROTOCOL  # --protocol
    streaming: bool = DEFAULT_STREAMING  # streaming lists where offered (KUBE_FEATURE_WatchListClient)
    owners: bool = False  # also list the pods' owners (for `workloads` and :workloads)
    context_pods: bool = True  # False: no eviction ranks wanted, so not the other pods of their nodes
    _conn: Connection | None = None
    _transport: Transport | None = None
    _metrics_transport: Transport | None = None

    def connection(self) -> Connection:
        if self._conn is None:
            self._conn = connect(
                kubeconfig=self.kubeconfig,
                context=self.context,
                namespace=self.namespace,
                request_timeout=self.request_timeout,
            )
            self._transport = Transport(self._conn)
            # a missing metrics API answers 404 or 503 at once; do not spend long retrying it
            self._metrics_transport = Transport(self._conn, retries=2)
        return self._conn

    @property
    def transport(self) -> Transport:
        self.connection()
        assert self._transport is not None
        return self._transport

    def scope(self) -> Scope:
        conn = self.connection()
        return Scope(
            namespace=None if self.all_namespaces else conn.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            node=self.node,
            owners=self.owners,
            context=self.context_pods,
        )

    def fetch(self) -> ClusterData:
        self.connection()
        assert self._transport is not None
        return fetch(self._transport, self.scope(), metrics_transport=self._metrics_transport, wire=self.wire)

    @property
    def wire(self) -> Wire:
        return Wire(self.protocol, self.streaming)

    def live(self, poll_seconds: float = 10.0) -> LiveCluster:
        """Pods and nodes listed once and then watched, for a view that stays open."""
        self.connection()
        assert self._transport is not None
        return LiveCluster(
            self._transport,
            self.scope(),
            self.wire,
            metrics_transport=self._metrics_transport,
            poll_seconds=poll_seconds,
        )

    def load(self) -> Loaded:
        # Decoding a big cluster allocates hundreds of thousands of tuples and lists that all live on;
        # the cyclic GC would scan them again and again for nothing, so it waits until the end.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return build(self.fetch(), self.eviction_threshold)
        finally:
            if enabled:
                gc.enable()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def build(data: ClusterData, eviction_threshold: str) -> Loaded:
    snapshot = build_snapshot(
        data.pods,
        data.nodes,
        data.pod_usage,
        data.node_usage,
        priority_classes=data.priority_classes,
        eviction_threshold=eviction_threshold,
        taken_at=data.taken_at,
        metrics_available=data.metrics_available,
        warnings=tuple(p.message for p in data.problems),
        summary_nodes=data.summary_nodes,
    )
    shown = list(snapshot.pods) if data.shown is None else [p for p in snapshot.pods if p.key in data.shown]
    owned = None
    if data.controllers is not None:
        owned = Owners(data.controllers, data.owner_kinds_listed)
    return Loaded(snapshot, shown, data.problems, owned)
