"""The commands: (options, env) -> exit status. Each fetches through `SnapshotSource` and renders
through `report/`; none of them knows HTTP or the model's rules."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from kubectl_mem.cli import Env
from kubectl_mem.errors import ExitStatus, NotFoundError, UsageError
from kubectl_mem.kube.fetch import Problem
from kubectl_mem.kube.source import Loaded, SnapshotSource
from kubectl_mem.model.views import NodeView, PodView, Snapshot
from kubectl_mem.report import columns as cols
from kubectl_mem.report import document, table
from kubectl_mem.report.fmt import age, ordinal, size

if TYPE_CHECKING:
    from kubectl_mem.cgroups_run import Gathered
    from kubectl_mem.model.cgroup_view import CgroupOverlay
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
    )


def _warn(env: Env, problems: Sequence[Problem]) -> ExitStatus:
    for p in problems:
        print(f"warning: {p.message}", file=env.stderr)
    return ExitStatus.PARTIAL if any(p.partial for p in problems) else ExitStatus.OK


def _collect_cgroups(
    src: SnapshotSource, opts: argparse.Namespace, env: Env, nodes: Iterable[str], pods: Iterable[Pod]
) -> Gathered:
    """--cgroups: one collector pod per node (stale ones swept first, all deleted whatever happens);
    the cgroups are named after `pods`, the pods the command already fetched."""
    from kubectl_mem import cgroups_run
    from kubectl_mem.model.cgroup_view import CgroupOverlay

    wanted = sorted(set(nodes))
    if not wanted:
        return cgroups_run.Gathered(CgroupOverlay())
    return cgroups_run.collect_for_view(
        src.transport,
        src.connection().namespace,
        wanted,
        pods,
        cgroups_run.options_from(opts),
        on_stale=lambda name: print(f"deleted stale collector pod {name}", file=env.stderr),
    )


def _outcome(
    env: Env, snapshot: Snapshot, problems: Sequence[Problem], gathered: Gathered | None
) -> tuple[Snapshot, CgroupOverlay | None, ExitStatus, list[tuple[str, str]]]:
    """After the fetch (and --cgroups): print the warnings once, and return the snapshot to show
    (each collected node with its own memory.available), the cgroups, the exit status and the
    warnings for the document."""
    status = _warn(env, problems)
    warnings = [(p.source, p.message) for p in problems]
    if gathered is None:
        return snapshot, None, status, warnings
    from kubectl_mem.model.cgroup_view import with_node_memory

    for w in gathered.warnings:
        print(f"warning: {w}", file=env.stderr)
    warnings += [("cgroups", w) for w in gathered.warnings]
    if gathered.partial:
        status = max(status, ExitStatus.PARTIAL)
    return with_node_memory(snapshot, gathered.overlay), gathered.overlay, status, warnings


def _sort_spec(key: str, sorts: dict[str, tuple[str, bool]]) -> tuple[str, bool]:
    descending_override = None
    if key.startswith("-"):
        key, descending_override = key[1:], True
    elif key.startswith("+"):
        key, descending_override = key[1:], False
    if key not in sorts:
        raise UsageError(f'--sort-by "{key}": expected one of {", ".join(sorts)}')
    column, descending = sorts[key]
    return column, descending if descending_override is None else descending_override


def top(opts: argparse.Namespace, env: Env) -> ExitStatus:
    opts.node_filter = opts.node
    if opts.all_namespaces and opts.namespace:
        raise UsageError("-A and -n cannot be used together")
    sort_column, descending = _sort_spec(opts.sort_by, cols.POD_SORTS)
    src = source_from(opts)
    if env.stdout_isatty and opts.output is None:
        from kubectl_mem.cgroups_run import CollectingSource, options_from
        from kubectl_mem.tui.run import run

        src = CollectingSource.wrap(src, options_from(opts), collect_on_start=opts.cgroups)
        return run(src, opts, env, sort=(sort_column, descending))
    gathered = None
    try:
        loaded = src.load()
        namespace = None if opts.all_namespaces else src.connection().namespace
        context = src.connection().context
        if opts.cgroups:
            nodes = (p.pod.node for p in loaded.shown if p.pod.node)
            gathered = _collect_cgroups(src, opts, env, nodes, (p.pod for p in loaded.snapshot.pods))
    finally:
        src.close()
    snapshot, cg, status, warnings = _outcome(env, loaded.snapshot, loaded.problems, gathered)
    pods = loaded.shown
    if sort_column != "risk" or not descending:
        pods = cols.sort_rows(pods, cols.POD_COLUMNS, sort_column, descending, tie=lambda p: p.key)
    out = opts.output or "table"
    if out in ("json", "yaml"):
        doc = document.pods_document(
            snapshot, pods, context=context, namespace=namespace, warnings=warnings, cgroups=cg
        )
        if out == "json":
            document.write_json(doc, env.stdout)
        else:
            env.stdout.write(document.to_yaml(doc))
        return status
    if not pods:
        where = "any namespace" if namespace is None else f"{namespace} namespace"
        print(f"No resources found in {where}.", file=env.stderr)
        return status
    wide = out == "wide"
    has_metrics = loaded.snapshot.metrics_available
    if opts.containers:
        rows = [(p, c) for p in pods for c in p.containers]
        columns = cols.visible(
            cols.CONTAINER_COLUMNS, wide=wide, all_namespaces=namespace is None, has_metrics=True
        )
        if cg is not None:
            extra = cols.visible(cols.container_cgroup_columns(cg), wide=wide, all_namespaces=True)
            columns = cols.insert_after(columns, "pct_limit", extra)
        env.stdout.write(table.render(rows, columns, headers=not opts.no_headers))
    else:
        columns = cols.visible(
            cols.POD_COLUMNS, wide=wide, all_namespaces=namespace is None, has_metrics=has_metrics
        )
        if cg is not None:
            extra = cols.visible(cols.pod_cgroup_columns(cg), wide=wide, all_namespaces=True)
            columns = cols.insert_after(columns, "pct_limit", extra)
        env.stdout.write(table.render(pods, columns, headers=not opts.no_headers))
    return status


def nodes(opts: argparse.Namespace, env: Env) -> ExitStatus:
    opts.node_filter = ""
    opts.all_namespaces = True
    sort_column, descending = _sort_spec(opts.sort_by, cols.NODE_SORTS)
    src = source_from(opts)
    src.node = opts.node or ""
    gathered = None
    try:
        loaded = src.load()
        context = src.connection().context
        if opts.node and not any(n.node.name == opts.node for n in loaded.snapshot.nodes):
            raise NotFoundError(f'node "{opts.node}" not found')
        if opts.cgroups:
            nodes = (n.node.name for n in loaded.snapshot.nodes)
            gathered = _collect_cgroups(src, opts, env, nodes, (p.pod for p in loaded.snapshot.pods))
    finally:
        src.close()
    snapshot, cg, status, warnings = _outcome(env, loaded.snapshot, loaded.problems, gathered)
    if cg is not None:
        loaded = Loaded(snapshot, loaded.shown, loaded.problems)
    node_views = cols.sort_rows(
        list(snapshot.nodes), cols.NODE_COLUMNS, sort_column, descending, tie=lambda n: n.node.name
    )
    out = opts.output or "table"
    if out in ("json", "yaml"):
        doc = document.nodes_document(snapshot, node_views, context=context, warnings=warnings, cgroups=cg)
        env.stdout.write(document.to_json(doc) if out == "json" else document.to_yaml(doc))
        return status
    if not node_views:
        print("No resources found.", file=env.stderr)
        return status
    columns = cols.visible(cols.NODE_COLUMNS, wide=out == "wide", all_namespaces=True)
    if cg is not None:
        columns += cols.visible(cols.node_cgroup_columns(cg), wide=out == "wide", all_namespaces=True)
    env.stdout.write(table.render(node_views, columns, headers=not opts.no_headers))
    if opts.node:
        env.stdout.write("\n" + eviction_order_text(node_views[0], loaded, headers=not opts.no_headers))
    return status


def eviction_order_text(node: NodeView, loaded: Loaded, *, headers: bool = True) -> str:
    by_key = {p.key: p for p in loaded.snapshot.pods}
    rows: list[PodView] = [by_key[k] for k in node.eviction_order if k in by_key]
    if not rows:
        return f"No running pods on {node.node.name}.\n"
    now = dt.datetime.now(dt.UTC)
    columns = [
        cols.Column(
            "rank",
            "EVICT#",
            lambda p: p.eviction_rank,
            lambda p: ordinal(p.eviction_rank or 0) + ("*" if p.critical else ""),
            "right",
        ),
        *[
            c
            for c in cols.POD_COLUMNS
            if c.key in ("namespace", "name", "qos", "priority", "memory", "request")
        ],
        cols.Column("excess", "OVER REQUEST", lambda p: _excess(p), lambda p: size(_excess(p)), "right"),
        cols.Column("age", "AGE", lambda p: p.pod.created or "", lambda p: age(p.pod.created, now), "right"),
    ]
    title = f"Eviction order on {node.node.name} under memory pressure (* = critical, never evicted):\n"
    return title + table.render(rows, columns, headers=headers)


def _excess(p: PodView) -> int | None:
    if p.working_set is None:
        return None
    return p.working_set - p.request


# -- explain ---------------------------------------------------------------------------------------

EXPLAIN_KINDS = {
    "pod": "Pod", "pods": "Pod", "po": "Pod",
    "deploy": "Deployment", "deployment": "Deployment", "deployments": "Deployment",
    "sts": "StatefulSet", "statefulset": "StatefulSet", "statefulsets": "StatefulSet",
    "ds": "DaemonSet", "daemonset": "DaemonSet", "daemonsets": "DaemonSet",
}  # fmt: skip


def explain_target(target: str) -> tuple[str, str]:
    """("Pod", "x") from pod/x or x; ("Deployment", "api") from deploy/api; UsageError otherwise."""
    kind, sep, name = target.partition("/")
    if not sep:
        kind, name = "pod", target
    resolved = EXPLAIN_KINDS.get(kind.lower().split(".", 1)[0])
    if resolved is None or not name or "/" in name:
        raise UsageError(f'cannot explain "{target}": expected pod, deploy, sts or ds')
    return resolved, name


def _width(env: Env) -> int:
    import shutil

    cols_env = env.environ.get("COLUMNS", "")
    if cols_env.isdigit() and int(cols_env) > 0:
        return int(cols_env)
    if env.stdout_isatty:
        return shutil.get_terminal_size((100, 24)).columns
    return 100


def explain(opts: argparse.Namespace, env: Env) -> ExitStatus:
    from kubectl_mem.kube.explain_fetch import fetch_explain
    from kubectl_mem.kube.http import Transport
    from kubectl_mem.kube.source import build
    from kubectl_mem.model.explain import WorkloadRef
    from kubectl_mem.model.explain import explain as explain_model
    from kubectl_mem.report.explain_json import explanation_document
    from kubectl_mem.report.explain_text import render_markdown, render_text

    kind, name = explain_target(opts.target)
    src = source_from(opts)
    gathered = None
    try:
        conn = src.connection()
        metrics = Transport(conn, retries=2)  # a missing metrics API answers at once
        data = fetch_explain(src.transport, conn.namespace, kind, name, metrics_transport=metrics)
        context = conn.context
        if opts.container and not any(c.name == opts.container for p in data.targets for c in p.containers):
            names = sorted({c.name for p in data.targets for c in p.containers})
            raise NotFoundError(
                f'container "{opts.container}" not found in {opts.target} (containers: {", ".join(names)})'
            )
        if opts.cgroups:
            nodes = (p.node for p in data.targets if p.node)
            gathered = _collect_cgroups(src, opts, env, nodes, data.data.pods)
    finally:
        src.close()
    loaded = build(data.data, opts.eviction_hard)
    snapshot, cg, status, warnings = _outcome(env, loaded.snapshot, loaded.problems, gathered)
    workload = None if kind == "Pod" else WorkloadRef(kind, name)
    target = f"pod/{name}" if kind == "Pod" else f"{kind.lower()}/{name}"
    missing = [p.message for p in loaded.problems if p.source != "metrics"]
    if gathered is not None:
        missing += gathered.missing
    result = explain_model(
        loaded.shown,
        snapshot,
        namespace=conn.namespace,
        target=target,
        workload=workload,
        events=data.pod_events,
        node_events=data.node_events,
        container=opts.container,
        cgroups=cg,
        missing=missing,
    )
    out = opts.output or "text"
    if out == "json":
        doc = explanation_document(result, context=context, warnings=warnings)
        env.stdout.write(document.to_json(doc))
    elif out == "markdown":
        env.stdout.write(render_markdown(result))
    else:
        env.stdout.write(render_text(result, width=_width(env)))
    return status
