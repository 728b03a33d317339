"""`kubectl mem workloads`: memory per workload (or per namespace), printed once as a table or as
the versioned JSON/YAML document."""

from __future__ import annotations

import argparse
import gc

from kubectl_mem.cli.env import Env
from kubectl_mem.cli.shared import outcome, sort_spec, source_from
from kubectl_mem.errors import ExitStatus, UsageError
from kubectl_mem.model.owners import LISTED_KINDS, Owners
from kubectl_mem.model.workloads import rollup
from kubectl_mem.report import columns as cols
from kubectl_mem.report import document, table
from kubectl_mem.report import workloads as wl
from kubectl_mem.report.columns import sort_rows, visible
from kubectl_mem.report.workloads_doc import workloads_document


def parse_kinds(text: str) -> frozenset[str] | None:
    """--kind deploy,sts -> {"Deployment", "StatefulSet"}; "" -> None (all kinds)."""
    words = [w.strip() for w in text.split(",") if w.strip()]
    if not words:
        return None
    kinds = set()
    for w in words:
        kind = wl.KIND_ALIASES.get(w.lower().split(".", 1)[0])
        if kind is None:
            raise UsageError(f'--kind "{w}": expected deploy, sts, ds, rs, job, cronjob, pod or node')
        kinds.add(kind)
    return frozenset(kinds)


def workloads(opts: argparse.Namespace, env: Env) -> ExitStatus:
    if opts.all_namespaces and opts.namespace:
        raise UsageError("-A and -n cannot be used together")
    kinds = parse_kinds(opts.kind)
    by_namespace = opts.by == "namespace"
    sort_column, descending = sort_spec(
        opts.sort_by, cols.NAMESPACE_SORTS if by_namespace else cols.WORKLOAD_SORTS
    )
    opts.node_filter = ""
    src = source_from(opts)
    src.owners = True
    src.context_pods = False  # no eviction ranks here: the other pods of their nodes are not needed
    try:
        loaded = src.load()
        namespace = None if opts.all_namespaces else src.connection().namespace
        context = src.connection().context
    finally:
        src.close()
    snapshot, _, status, warnings = outcome(env, loaded.snapshot, loaded.problems, None)
    owners = loaded.owners if loaded.owners is not None else Owners((), ())
    # the roll-up allocates a few objects per pod over a heap of 20k pods' records: a full
    # collection in the middle would walk them all for nothing
    enabled = gc.isenabled()
    gc.disable()
    try:
        result = rollup(loaded.shown, owners, snapshot.nodes, kinds=kinds)
    finally:
        if enabled:
            gc.enable()
    out = opts.output or "table"
    if by_namespace:
        ns_rows = sort_rows(
            list(result.namespaces), cols.NAMESPACE_COLUMNS, sort_column, descending, tie=lambda r: r.key
        )
        rows: list = ns_rows
        columns: list = cols.NAMESPACE_COLUMNS
    else:
        rows = sort_rows(
            list(result.rows), cols.WORKLOAD_COLUMNS, sort_column, descending, tie=lambda r: r.key
        )
        columns = cols.WORKLOAD_COLUMNS
    if out in ("json", "yaml"):
        doc = workloads_document(
            result,
            snapshot,
            rows,
            by_namespace=by_namespace,
            context=context,
            namespace=namespace,
            owners_listed=owners.listed,
            owners_not_listed=[k for k in LISTED_KINDS if k not in owners.listed],
            warnings=warnings,
        )
        if out == "json":
            document.write_json(doc, env.stdout)
        else:
            env.stdout.write(document.to_yaml(doc))
        return status
    if not rows:
        where = "any namespace" if namespace is None else f"{namespace} namespace"
        print(f"No resources found in {where}.", file=env.stderr)
        return status
    # usage may be known without metrics.k8s.io (the kubelets' Summary API): shown as `top` shows it
    usage = wl.usage_known(result)
    shown = visible(columns, wide=out == "wide", all_namespaces=namespace is None, has_metrics=usage)
    if not opts.no_headers:
        env.stdout.write(wl.totals_line(result, namespace=namespace, metrics=snapshot.metrics_available))
    env.stdout.write(table.render(rows, shown, headers=not opts.no_headers))
    if not by_namespace and not opts.no_headers:
        if usage:
            env.stdout.write(wl.recommendation_note(rows))
        env.stdout.write(wl.inferred_note(rows))
    return status
