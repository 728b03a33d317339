"""Where the app gets its data: the cluster through `kube.snapshot_source.SnapshotSource`, or a fixed
snapshot (tests, benchmarks). Both answer `load()` from the refresh worker's thread and can be
re-scoped by `:ns` and `:ctx`.

The cluster is listed once and then watched (`kube.live.LiveCluster`): each load after the first
fetches only metrics and priority classes, and takes pods and nodes from the watches."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from kubectl_mem.errors import KubectlMemError
from kubectl_mem.kube.live import LiveCluster, LiveState
from kubectl_mem.kube.snapshot_source import Loaded, SnapshotSource, build
from kubectl_mem.model.workloads import Workloads


@dataclass
class Fetched:
    loaded: Loaded
    context: str
    namespace: str | None  # None: all namespaces
    live: LiveState | None = None  # the watches behind it (None: not watched, e.g. a fixed snapshot)
    workloads: Workloads | None = None  # the roll-up, once :workloads is wanted (tui/refresh.py)


class TuiSource(Protocol):
    @property
    def all_namespaces(self) -> bool: ...

    def load(self) -> Fetched: ...

    def with_namespace(self, namespace: str | None) -> TuiSource: ...

    def with_context(self, context: str) -> TuiSource: ...

    def close(self) -> None: ...


class ClusterSource:
    """A live cluster: the first load lists pods and nodes and starts watching them; every load
    fetches metrics and builds the model's snapshot from the watched records."""

    def __init__(self, source: SnapshotSource) -> None:
        self.source = source
        self._live: LiveCluster | None = None

    @property
    def all_namespaces(self) -> bool:
        return self.source.all_namespaces

    def load(self) -> Fetched:
        conn = self.source.connection()
        if self._live is None:
            self._live = self.source.live()
        # Building a big snapshot allocates objects that all live on: the cyclic GC waits until the end.
        enabled = gc.isenabled()
        gc.disable()
        try:
            try:
                data = self._live.fetch()
            except KubectlMemError:
                self._live.close()  # the first list failed: the next load starts over
                self._live = None
                raise
            loaded = build(data, self.source.eviction_threshold)
        finally:
            if enabled:
                gc.enable()
        namespace = None if self.source.all_namespaces else conn.namespace
        return Fetched(loaded, conn.context, namespace, self._live.state())

    def want_owners(self) -> None:
        """List the pods' owners too, from the next load on (:workloads)."""
        self.source.owners = True
        if self._live is not None:
            self._live.scope.owners = True

    def _replace(self, **changes: object) -> ClusterSource:
        fresh = dataclasses.replace(
            self.source, _conn=None, _transport=None, _metrics_transport=None, **changes
        )
        return ClusterSource(fresh)

    def with_namespace(self, namespace: str | None) -> ClusterSource:
        return self._replace(namespace=namespace, all_namespaces=namespace is None)

    def with_context(self, context: str) -> ClusterSource:
        # the new context's own namespace, unless all namespaces are shown
        return self._replace(context=context, namespace=None)

    def close(self) -> None:
        if self._live is not None:
            self._live.close()
            self._live = None
        self.source.close()


class FixedSource:
    """The same snapshot every time (or what `make` returns), narrowed to a namespace like the
    cluster would: for tests and benchmarks. `fail` makes the next loads raise."""

    def __init__(
        self,
        loaded: Loaded | Callable[[], Loaded],
        *,
        context: str = "fixture",
        namespace: str | None = None,
        contexts: tuple[str, ...] = ("fixture",),
    ) -> None:
        self._make = loaded if callable(loaded) else (lambda: loaded)
        self.context = context
        self.namespace = namespace
        self.contexts = contexts
        self.fail: KubectlMemError | None = None
        self.loads = 0

    @property
    def all_namespaces(self) -> bool:
        return self.namespace is None

    def load(self) -> Fetched:
        self.loads += 1
        if self.fail is not None:
            raise self.fail
        if self.context not in self.contexts:
            from kubectl_mem.errors import NotFoundError

            raise NotFoundError(f'context "{self.context}" does not exist in the kubeconfig')
        loaded = self._make()
        if self.namespace is not None:
            shown = [p for p in loaded.shown if p.pod.namespace == self.namespace]
            loaded = Loaded(loaded.snapshot, shown, loaded.problems, loaded.owners)
        return Fetched(loaded, self.context, self.namespace)

    def _copy(self, **changes: object) -> FixedSource:
        new = FixedSource(self._make, context=self.context, namespace=self.namespace, contexts=self.contexts)
        for k, v in changes.items():
            setattr(new, k, v)
        new.fail = self.fail
        return new

    def with_namespace(self, namespace: str | None) -> FixedSource:
        return self._copy(namespace=namespace)

    def with_context(self, context: str) -> FixedSource:
        return self._copy(context=context)

    def close(self) -> None:
        pass
