"""Running the node collector for a view: one way, shared by `kubectl mem cgroups`, `top`/`nodes`/
`explain --cgroups` and the interactive view's `c` key.

- `run(collector, nodes)`: sweep stale collector pods of earlier runs, collect the nodes
  concurrently (`Collector.concurrency` at a time), and delete every pod this run created on
  success, on error, on Ctrl-C and on SIGTERM. In the main thread SIGTERM is raised as
  `Terminated`, a KeyboardInterrupt the CLI turns into exit status 143 once the pods are gone.
- `gather(results, pods)`: the per-node results as the model's `CgroupOverlay` (cgroups named
  after the pods the view already fetched), the warnings to print, and whether the view is
  partial (a node failed, fell back to the Summary API, or its output was truncated).

Nothing here imports the collector until it runs: commands without --cgroups never load it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from kubectl_mem.kube.collector_access import NAMESPACE
from kubectl_mem.kube.snapshot_source import SnapshotSource

if TYPE_CHECKING:
    from kubectl_mem.kube.collector import Collector, NodeResult
    from kubectl_mem.kube.http import Transport
    from kubectl_mem.model.cgroup import CgroupOverlay
    from kubectl_mem.model.records import Pod


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that the collector's cleanup runs."""

    exit_code = 143  # 128 + SIGTERM, as a shell reports it
    message = "terminated: collector pods deleted"


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


@dataclass(frozen=True)
class CollectorOptions:
    image: str | None = None  # None: the collector's default (busybox)
    namespace: str = NAMESPACE  # --collector-namespace
    pending_timeout: float = 60.0


@dataclass
class CollectingSource(SnapshotSource):
    """A SnapshotSource that also carries the collector settings to the interactive view (its
    `c` key), and whether to collect right after the first load (`top --cgroups` on a terminal).
    `:ns` / `:ctx` copy it with `dataclasses.replace`, so the settings survive a scope change."""

    collector: CollectorOptions = field(default_factory=CollectorOptions)
    collect_on_start: bool = False

    @classmethod
    def wrap(
        cls, source: SnapshotSource, collector: CollectorOptions, *, collect_on_start: bool
    ) -> CollectingSource:
        values = {f.name: getattr(source, f.name) for f in fields(SnapshotSource)}
        return cls(**values, collector=collector, collect_on_start=collect_on_start)


def make_collector(transport: Transport, options: CollectorOptions) -> Collector:
    from kubectl_mem.kube.collector import DEFAULT_IMAGE, Collector

    return Collector(
        transport,
        options.namespace,
        image=options.image or DEFAULT_IMAGE,
        pending_timeout=options.pending_timeout,
    )


def run(
    collector: Collector,
    nodes: Sequence[str],
    *,
    on_stale: Callable[[str], None] = lambda name: None,
) -> list[NodeResult]:
    """Sweep, collect `nodes`, and leave no pod behind whatever happens. In the main thread
    SIGTERM raises `Terminated` meanwhile (a worker thread, the TUI's, cannot set handlers)."""
    installed = False
    previous: Any = signal.SIG_DFL
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, _on_sigterm)
        installed = True
    try:
        for stale in collector.sweep():
            on_stale(stale)
        results = collector.collect(list(nodes))
    finally:
        collector.cleanup()
        if installed:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
    # a pod that could not be deleted (no RBAC to delete pods, the API gone meanwhile) is said on
    # its node's result, with the command that deletes it
    left = collector.left_behind()
    for r in results:
        if r.pod is not None and r.pod in left:
            r.left_behind = True
            r.warnings.append(collector.left_behind_warning(r.pod, left.pop(r.pod)))
    if left and results:  # not tied to a node's result (should not happen): said on the first
        results[0].left_behind = True
        results[0].warnings.extend(collector.left_behind_warning(n, why) for n, why in left.items())
    return results


@dataclass
class Gathered:
    overlay: CgroupOverlay
    warnings: list[str] = field(default_factory=list)  # every line to print
    partial: bool = False
    missing: list[str] = field(default_factory=list)  # what the view cannot show, per node, for explain

    @property
    def collected(self) -> list[str]:
        """The nodes something was collected for (cgroups or the Summary API)."""
        return sorted(self.overlay.nodes)


def gather(results: Iterable[NodeResult], pods: Iterable[Pod]) -> Gathered:
    from kubectl_mem.model.cgroup import attach, attach_summary, overlay

    by_node: dict[str, list[Pod]] = {}
    for p in pods:
        by_node.setdefault(p.node, []).append(p)
    entries = []
    failed: dict[str, str] = {}
    warnings: list[str] = []
    missing: list[str] = []
    partial = False
    for r in results:
        warnings.extend(r.warnings)
        partial = partial or r.left_behind
        if r.error and r.summary is None:
            failed[r.node] = r.error
            partial = True
        elif r.summary is not None:
            entries.append(attach_summary(r.node, r.summary, by_node.get(r.node, ())))
            missing.append(
                f"cgroups of node {r.node}: only the kubelet Summary API (no collector pod allowed), so no "
                "breakdown, OOM kill counts or peak"
            )
            partial = True
        elif r.snapshot is not None:
            entries.append(attach(r.node, r.snapshot, by_node.get(r.node, ())))
            if r.snapshot.truncated:
                missing.append(
                    f"cgroups of node {r.node}: the collector output was cut, some pods are missing"
                )
                partial = True
    # one line per distinct failure: a namespace that rejects the pod fails every node alike
    by_error: dict[str, list[str]] = {}
    for node, error in failed.items():
        by_error.setdefault(error.removeprefix(f'node "{node}": '), []).append(node)
    for error, nodes in by_error.items():
        which = f"node {nodes[0]}" if len(nodes) == 1 else f"nodes {', '.join(nodes)}"
        warnings.append(f"cgroups of {which} not collected: {error}")
        missing.append(f"cgroups of {which} not collected: {error}")
    return Gathered(overlay(entries, failed), warnings, partial, missing)


def collect_for_view(
    transport: Transport,
    nodes: Sequence[str],
    pods: Iterable[Pod],
    options: CollectorOptions,
    *,
    on_stale: Callable[[str], None] = lambda name: None,
) -> Gathered:
    """What `--cgroups` does after a command's normal fetch: collect `nodes`, name their cgroups
    after `pods` (the pods the command fetched: those of the nodes included)."""
    collector = make_collector(transport, options)
    results = run(collector, nodes, on_stale=on_stale)
    return gather(results, pods)
