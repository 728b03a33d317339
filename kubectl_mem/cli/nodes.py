"""`kubectl mem nodes [NAME]`: nodes by headroom to their eviction threshold; with a NAME, also its
pods in the kubelet's eviction order."""

from __future__ import annotations

import argparse
import datetime as dt

from kubectl_mem.cli.env import Env
from kubectl_mem.cli.shared import collect_cgroups, outcome, sort_spec, source_from
from kubectl_mem.errors import ExitStatus, NotFoundError
from kubectl_mem.kube.snapshot_source import Loaded
from kubectl_mem.model.views import NodeView, PodView
from kubectl_mem.report import columns as cols
from kubectl_mem.report import document, table


def nodes(opts: argparse.Namespace, env: Env) -> ExitStatus:
    opts.node_filter = ""
    opts.all_namespaces = True
    sort_column, descending = sort_spec(opts.sort_by, cols.NODE_SORTS)
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
            gathered = collect_cgroups(src, opts, env, nodes, (p.pod for p in loaded.snapshot.pods))
    finally:
        src.close()
    snapshot, cg, status, warnings = outcome(env, loaded.snapshot, loaded.problems, gathered)
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
    """The node's live pods in the kubelet's eviction order, EVICT# as in `top` (one counting:
    only pods the kubelet may evict take a place; critical pods are listed last, `never`)."""
    by_key = {p.key: p for p in loaded.snapshot.pods}
    rows: list[PodView] = [by_key[k] for k in node.eviction_order if k in by_key]
    if not rows:
        return f"No running pods on {node.node.name}.\n"
    columns = cols.eviction_order_columns(dt.datetime.now(dt.UTC))
    title = f"Eviction order on {node.node.name} under memory pressure"
    notes = ["critical pods: never evicted"] if any(p.critical for p in rows) else []
    evictable = [p for p in rows if not p.critical]
    unknown = sum(1 for p in evictable if p.working_set is None)
    if unknown > 1 and unknown == len(evictable):
        notes.append(
            f"the usage of all {unknown} pods is unknown, so the order is not known: each could be "
            "anywhere (metrics.k8s.io or the kubelet's Summary API would tell)"
        )
    elif unknown:
        notes.append(
            f"usage unknown for {unknown} pod{'s' if unknown != 1 else ''}: EVICT# a..b = somewhere between"
        )
    title += (" (" + "; ".join(notes) + ")" if notes else "") + ":\n"
    return title + table.render(rows, columns, headers=headers)
