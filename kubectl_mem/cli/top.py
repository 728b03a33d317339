"""`kubectl mem top`: pods by memory risk, as a table, JSON/YAML, or the interactive view on a terminal."""

from __future__ import annotations

import argparse

from kubectl_mem.cli.env import Env
from kubectl_mem.cli.shared import collect_cgroups, options_from, outcome, sort_spec, source_from
from kubectl_mem.errors import ExitStatus, UsageError
from kubectl_mem.kube.snapshot_source import SnapshotSource
from kubectl_mem.report import columns as cols
from kubectl_mem.report import document, table


def top(opts: argparse.Namespace, env: Env) -> ExitStatus:
    opts.node_filter = opts.node
    if opts.all_namespaces and opts.namespace:
        raise UsageError("-A and -n cannot be used together")
    sort_column, descending = sort_spec(opts.sort_by, cols.POD_SORTS)
    src = source_from(opts)
    if env.stdout_isatty and opts.output is None:
        return _interactive(opts, env, src, sort=(sort_column, descending))
    gathered = None
    try:
        loaded = src.load()
        namespace = None if opts.all_namespaces else src.connection().namespace
        context = src.connection().context
        if opts.cgroups:
            nodes = (p.pod.node for p in loaded.shown if p.pod.node)
            gathered = collect_cgroups(src, opts, env, nodes, (p.pod for p in loaded.snapshot.pods))
    finally:
        src.close()
    snapshot, cg, status, warnings = outcome(env, loaded.snapshot, loaded.problems, gathered)
    pods = loaded.shown
    if opts.hide_terminated:
        pods = [p for p in pods if p.live]
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
            named = cols.container_name_column(cg)
            columns = [named if c.key == named.key else c for c in columns]
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


def _interactive(
    opts: argparse.Namespace, env: Env, src: SnapshotSource, *, sort: tuple[str, bool]
) -> ExitStatus:
    """On a terminal without -o: settings from the config file and flags, then the app (the collector
    flags travel with the source, for the `c` key and `--cgroups`)."""
    from kubectl_mem.kube.collector_run import CollectingSource
    from kubectl_mem.tui.app import make_app
    from kubectl_mem.tui.config import load_settings

    source = CollectingSource.wrap(src, options_from(opts), collect_on_start=opts.cgroups)
    settings = load_settings(
        env.environ,
        refresh=getattr(opts, "refresh", None),
        sort=sort,
        hide_terminated=getattr(opts, "hide_terminated", False),
    )
    make_app(source, settings).run()
    return ExitStatus.OK
