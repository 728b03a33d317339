"""What the view commands (top, nodes, explain) share: options -> `SnapshotSource`, `--cgroups`
collection, warnings -> exit status, `--sort-by`. Each command fetches through `SnapshotSource` and
renders through `report/`; none of them knows HTTP or the model's rules."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from kubectl_mem.cli.env import Env
from kubectl_mem.errors import ExitStatus, UsageError
from kubectl_mem.kube.fetch import Problem
from kubectl_mem.kube.protocol import DEFAULT_PROTOCOL, DEFAULT_STREAMING
from kubectl_mem.kube.snapshot_source import SnapshotSource
from kubectl_mem.model.views import Snapshot

if TYPE_CHECKING:
    from kubectl_mem.kube.collector_run import CollectorOptions, Gathered
    from kubectl_mem.model.cgroup import CgroupOverlay
    from kubectl_mem.model.records import Pod


def source_from(opts: argparse.Namespace) -> SnapshotSource:
    threshold = opts.eviction_hard
    if not threshold.startswith("memory.available"):
        raise UsageError(f'--eviction-hard "{threshold}": expected memory.available<QUANTITY or <PERCENT%')
    return SnapshotSource(
        kubeconfig=opts.kubeconfig,
        context=opts.context,
        namespace=opts.namespace,
        all_namespaces=getattr(opts, "all_namespaces", False),
        label_selector=getattr(opts, "selector", ""),
        field_selector=getattr(opts, "field_selector", ""),
        node=getattr(opts, "node_filter", "") or "",
        request_timeout=opts.request_timeout,
        eviction_threshold=threshold,
        protocol=getattr(opts, "protocol", DEFAULT_PROTOCOL),
        streaming=streaming_lists(os.environ),
    )


def streaming_lists(environ: Mapping[str, str]) -> bool:
    """Streaming lists or not, set as in client-go: KUBE_FEATURE_WatchListClient=true|false."""
    value = environ.get("KUBE_FEATURE_WatchListClient", "").strip().lower()
    if value == "":
        return DEFAULT_STREAMING
    if value in ("1", "t", "true"):
        return True
    if value in ("0", "f", "false"):
        return False
    raise UsageError(f'KUBE_FEATURE_WatchListClient="{value}": expected true or false')


def warn(env: Env, problems: Sequence[Problem]) -> ExitStatus:
    for p in problems:
        print(f"warning: {p.message}", file=env.stderr)
    return ExitStatus.PARTIAL if any(p.partial for p in problems) else ExitStatus.OK


def collect_cgroups(
    src: SnapshotSource, opts: argparse.Namespace, env: Env, nodes: Iterable[str], pods: Iterable[Pod]
) -> Gathered:
    """--cgroups: one collector pod per node (stale ones swept first, all deleted whatever happens);
    the cgroups are named after `pods`, the pods the command already fetched."""
    from kubectl_mem.kube import collector_run
    from kubectl_mem.model.cgroup import CgroupOverlay

    wanted = sorted(set(nodes))
    if not wanted:
        return collector_run.Gathered(CgroupOverlay())
    return collector_run.collect_for_view(
        src.transport,
        wanted,
        pods,
        options_from(opts),
        on_stale=lambda name: print(f"deleted stale collector pod {name}", file=env.stderr),
    )


def outcome(
    env: Env, snapshot: Snapshot, problems: Sequence[Problem], gathered: Gathered | None
) -> tuple[Snapshot, CgroupOverlay | None, ExitStatus, list[tuple[str, str]]]:
    """After the fetch (and --cgroups): print the warnings once, and return the snapshot to show
    (each collected node with its own memory.available), the cgroups, the exit status and the
    warnings for the document."""
    status = warn(env, problems)
    warnings = [(p.source, p.message) for p in problems]
    if gathered is None:
        return snapshot, None, status, warnings
    from kubectl_mem.model.cgroup import with_node_memory

    for w in gathered.warnings:
        print(f"warning: {w}", file=env.stderr)
    warnings += [("cgroups", w) for w in gathered.warnings]
    if gathered.partial:
        status = max(status, ExitStatus.PARTIAL)
    return with_node_memory(snapshot, gathered.overlay), gathered.overlay, status, warnings


def sort_spec(key: str, sorts: dict[str, tuple[str, bool]]) -> tuple[str, bool]:
    descending_override = None
    if key.startswith("-"):
        key, descending_override = key[1:], True
    elif key.startswith("+"):
        key, descending_override = key[1:], False
    if key not in sorts:
        raise UsageError(f'--sort-by "{key}": expected one of {", ".join(sorts)}')
    column, descending = sorts[key]
    return column, descending if descending_override is None else descending_override


def options_from(opts: argparse.Namespace) -> CollectorOptions:
    """The collector flags (--image, --collector-namespace, --pending-timeout) of any command."""
    from kubectl_mem.kube.collector_access import NAMESPACE
    from kubectl_mem.kube.collector_run import CollectorOptions

    return CollectorOptions(
        image=getattr(opts, "image", None),
        namespace=getattr(opts, "collector_namespace", None) or NAMESPACE,
        pending_timeout=getattr(opts, "pending_timeout", None) or 60.0,
    )
