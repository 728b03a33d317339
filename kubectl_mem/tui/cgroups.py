"""Key `c`: the kernel's memory figures of some nodes, read by collector pods, off the event loop.

`CgroupCollection.start(nodes)` runs the same collection as `--cgroups` (kubectl_mem/kube/collector_run.py:
stale collector pods swept first, one pod per node, each deleted whatever happens) in a thread
worker, and posts `CgroupsCollected` or `CgroupsFailed`; the app keeps the merged `overlay` and the
screens draw from it. One collection at a time. `shutdown()` (the app quitting, also mid-collection,
or SIGTERM while a collection runs) stops it and deletes the pods it created before returning.

The cluster comes from the app's source: a `ClusterSource` wraps the `SnapshotSource` the command
built (kubeconfig, context, namespace, timeout); `collector_run.CollectingSource` also carries the
collector flags of `top` (--image, --collector-namespace, --pending-timeout) and --cgroups. A fixed
snapshot (tests, benchmarks) has no cluster to collect from, and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubectl_mem.errors import KubectlMemError
from kubectl_mem.kube.snapshot_source import SnapshotSource
from kubectl_mem.tui.messages import CgroupsCollected, CgroupsFailed

if TYPE_CHECKING:
    from textual.app import App

    from kubectl_mem.kube.collector import Collector
    from kubectl_mem.kube.collector_run import CollectorOptions
    from kubectl_mem.model.cgroup import CgroupOverlay
    from kubectl_mem.model.records import Pod

NO_CLUSTER = "cgroups need a live cluster: this view shows a fixed snapshot"
SHUTDOWN_WAIT_S = 15.0  # on quit, how long to wait for a collection thread to delete its pods


def cluster_access(source: Any) -> SnapshotSource | None:
    """The connection settings behind the app's source, or None for a fixed snapshot."""
    inner = getattr(source, "source", None)
    return inner if isinstance(inner, SnapshotSource) else None


def collector_options(source: Any) -> CollectorOptions:
    from kubectl_mem.kube.collector_run import CollectorOptions

    inner = cluster_access(source)
    options = getattr(inner, "collector", None)
    return options if isinstance(options, CollectorOptions) else CollectorOptions()


def collect_on_start(source: Any) -> bool:
    return bool(getattr(cluster_access(source), "collect_on_start", False))


class CgroupCollection:
    def __init__(self, app: App, source: Callable[[], Any]) -> None:
        self.app = app
        self._source = source  # the app's current TuiSource (it changes with :ns and :ctx)
        self.overlay: CgroupOverlay | None = None
        self.collected_at: dict[str, float] = {}  # node -> time.time() of its last collection
        self.nodes: tuple[str, ...] = ()  # what the running collection collects
        self._lock = threading.Lock()
        self._collector: Collector | None = None
        self._done = threading.Event()
        self._done.set()
        self._closed = False
        self._sigterm = False

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    def start(self, nodes: list[str], pods: list[Pod]) -> str | None:
        """Start collecting `nodes`; None when started, else why not (a message for the user)."""
        if self.running:
            return f"already collecting the cgroups of {', '.join(self.nodes)}"
        access = cluster_access(self._source())
        if access is None:
            return NO_CLUSTER
        if not nodes:
            return "no node to collect: the pod is not scheduled"
        options = collector_options(self._source())
        self.nodes = tuple(sorted(set(nodes)))
        self._done.clear()
        self._watch_sigterm()
        wanted = list(self.nodes)
        self.app.run_worker(
            lambda: self._work(access, options, wanted, pods),
            name="cgroups",
            group="cgroups",
            description=f"cgroups of {', '.join(wanted)}",
            thread=True,
            exit_on_error=False,
        )
        return None

    def _work(
        self, access: SnapshotSource, options: CollectorOptions, nodes: list[str], pods: list[Pod]
    ) -> None:
        from kubectl_mem.kube import collector_run
        from kubectl_mem.kube.config import connect
        from kubectl_mem.kube.http import Transport

        start = time.perf_counter()
        stale: list[str] = []
        message: CgroupsCollected | CgroupsFailed
        conn = None
        try:
            conn = connect(
                kubeconfig=access.kubeconfig,
                context=access.context,
                namespace=access.namespace,
                request_timeout=access.request_timeout,
            )
            collector = collector_run.make_collector(Transport(conn), options)
            with self._lock:
                if self._closed:
                    return
                self._collector = collector
            results = collector_run.run(collector, nodes, on_stale=stale.append)
            gathered = collector_run.gather(results, pods)
            message = CgroupsCollected(gathered, tuple(nodes), time.perf_counter() - start, tuple(stale))
        except KubectlMemError as e:
            message = CgroupsFailed(str(e), tuple(nodes))
        except Exception as e:  # a bug must not take the app down
            message = CgroupsFailed(f"internal error: {type(e).__name__}: {e}", tuple(nodes))
        finally:
            with self._lock:
                self._collector = None
            if conn is not None:
                conn.close()
            self._done.set()
        self.app.post_message(message)

    def apply(self, message: CgroupsCollected) -> None:
        """Merge a finished collection (on the event loop)."""
        fresh = message.gathered.overlay
        self.overlay = fresh if self.overlay is None else self.overlay.merged(fresh)
        now = time.time()
        for node in message.nodes:
            self.collected_at[node] = now
        self._unwatch_sigterm()

    def failed(self) -> None:
        self._unwatch_sigterm()

    # -- leaving nothing behind -------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop a running collection and wait until its pods are deleted (bounded)."""
        with self._lock:
            self._closed = True
            collector = self._collector
        if collector is not None:
            collector.cleanup()  # stops new pods and deletes the live ones
        self._done.wait(SHUTDOWN_WAIT_S)
        if collector is not None:
            collector.cleanup()  # a pod created while the first cleanup ran
        self._unwatch_sigterm()

    def _watch_sigterm(self) -> None:
        """While pods exist, SIGTERM quits the app the normal way, so `shutdown()` deletes them."""
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self.app.exit)
            self._sigterm = True
        except (RuntimeError, NotImplementedError, ValueError):
            pass  # no running loop in this thread, or not on Unix

    def _unwatch_sigterm(self) -> None:
        if not self._sigterm:
            return
        self._sigterm = False
        with contextlib.suppress(RuntimeError, NotImplementedError, ValueError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)
