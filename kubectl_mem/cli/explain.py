"""`kubectl mem explain TARGET`: the story of one pod's (or workload's) memory, as text, Markdown or JSON."""

from __future__ import annotations

import argparse

from kubectl_mem.cli.env import Env
from kubectl_mem.cli.shared import collect_cgroups, outcome, source_from
from kubectl_mem.errors import ExitStatus, NotFoundError, UsageError
from kubectl_mem.report import document

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
    from kubectl_mem.kube.snapshot_source import build
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
        data = fetch_explain(
            src.transport, conn.namespace, kind, name, metrics_transport=metrics, wire=src.wire
        )
        context = conn.context
        if opts.container and not any(c.name == opts.container for p in data.targets for c in p.containers):
            names = sorted({c.name for p in data.targets for c in p.containers})
            raise NotFoundError(
                f'container "{opts.container}" not found in {opts.target} (containers: {", ".join(names)})'
            )
        if opts.cgroups:
            nodes = (p.node for p in data.targets if p.node)
            gathered = collect_cgroups(src, opts, env, nodes, data.data.pods)
    finally:
        src.close()
    loaded = build(data.data, opts.eviction_hard)
    snapshot, cg, status, warnings = outcome(env, loaded.snapshot, loaded.problems, gathered)
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
