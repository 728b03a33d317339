"""`kubectl mem cgroups node/NAME | pod/NAME`: the kernel's memory breakdown from a collector pod
(kube/collector.py) or from a copy of a node's /sys/fs/cgroup (`--from-dir`).

Exit status: 0 ok; 1 nothing collected; 3 partial (truncated output, the Summary API fallback
without permission to create pods, or a collector pod it could not delete); 4 the pod or node does
not exist. SIGINT and SIGTERM delete
the collector pods before exiting (130 / 143).
"""

from __future__ import annotations

import argparse
from typing import Any

import msgspec

from kubectl_mem.cli.env import Env
from kubectl_mem.errors import ApiNotFoundError, ExitStatus, KubectlMemError, UsageError
from kubectl_mem.report import cgroups as rep
from kubectl_mem.report.document import to_json


def _target(text: str) -> tuple[str, str]:
    kind, sep, name = text.partition("/")
    if not sep:
        kind, name = "node", text
    kind = {"no": "node", "nodes": "node", "po": "pod", "pods": "pod"}.get(kind, kind)
    if kind not in ("node", "pod") or not name:
        raise UsageError(f'"{text}": expected node/NAME or pod/NAME')
    return kind, name


def cgroups(opts: argparse.Namespace, env: Env) -> ExitStatus:
    kind, name = _target(opts.target)
    out = opts.output or "table"
    if out not in ("table", "json"):
        raise UsageError(f"-o {out}: expected table or json")
    if opts.from_dir:
        from kubectl_mem.kube.cgroup_dir import snapshot_from_dir
        from kubectl_mem.model.cgroup import attach

        snap = snapshot_from_dir(opts.from_dir)
        node = name if kind == "node" else "(from-dir)"
        rows = rep.rows(attach(node, snap, [])[1])
        warnings = [f"{node}: {p}" for p in snap.problems]
        _print(env, out, [(node, snap, rows, None)], warnings, context="")
        return ExitStatus.PARTIAL if snap.truncated else ExitStatus.OK

    from kubectl_mem.cli.shared import options_from
    from kubectl_mem.kube import collector_run
    from kubectl_mem.kube.config import connect
    from kubectl_mem.kube.http import Transport
    from kubectl_mem.model.cgroup import attach, normalize_pod_uid

    conn = connect(
        kubeconfig=opts.kubeconfig,
        context=opts.context,
        namespace=opts.namespace,
        request_timeout=opts.request_timeout,
    )
    t = Transport(conn)
    only = None
    if kind == "pod":
        try:
            pod = msgspec.json.decode(t.get(f"/api/v1/namespaces/{conn.namespace}/pods/{name}").body)
        except ApiNotFoundError:
            from kubectl_mem.kube.fetch import pod_not_found

            raise pod_not_found(t, conn.namespace, name) from None
        node = pod.get("spec", {}).get("nodeName") or ""
        if not node:
            raise KubectlMemError(f'pod "{name}" is not scheduled to a node yet')
        only = f"{conn.namespace}/{name}"
    else:
        node = name
    collector = collector_run.make_collector(t, options_from(opts))
    try:
        results = collector_run.run(
            collector,
            [node],
            on_stale=lambda pod: print(f"deleted stale collector pod {pod}", file=env.stderr),
        )
    finally:
        conn.close()

    status = ExitStatus.OK
    warnings: list[str] = []
    blocks = []
    for r in results:
        warnings.extend(r.warnings)
        if r.left_behind:
            status = max(status, ExitStatus.PARTIAL)
        if r.error and r.summary is None:
            print(f"error: {r.error}", file=env.stderr)
            status = ExitStatus.ERROR
            continue
        if r.summary is not None:
            status = max(status, ExitStatus.PARTIAL)
            blocks.append((r.node, None, [], r.summary))
            continue
        assert r.snapshot is not None
        if r.snapshot.truncated:
            status = max(status, ExitStatus.PARTIAL)
        pods = attach(r.node, r.snapshot, _node_pods(t, r.node))[1]
        # the collector's own pod ran on the node while it read it, and is deleted by now: the
        # API cannot name it, and it is not the user's (its few KiB stay in the node's totals)
        own = normalize_pod_uid(r.pod_uid or "")
        pods = tuple(p for p in pods if p.uid != own)
        blocks.append((r.node, r.snapshot, rep.rows(pods, only=only), None))
    for w in warnings:
        print(f"warning: {w}", file=env.stderr)
    if blocks:
        _print(env, out, blocks, warnings, context=conn.context)
    return status


def _node_pods(t: Any, node: str) -> list[Any]:
    from kubectl_mem.kube import decode
    from kubectl_mem.kube.lists import list_all

    try:
        return list_all(t, "/api/v1/pods", decode.pods_page, [("fieldSelector", f"spec.nodeName={node}")])
    except KubectlMemError:
        return []  # rows keep the pod UIDs


def _print(env: Env, out: str, blocks: list[Any], warnings: list[str], *, context: str) -> None:
    if out == "json":
        items = [rep.node_doc(node, snap, rows, summary) for node, snap, rows, summary in blocks]
        env.stdout.write(to_json(rep.document(items, context=context, warnings=warnings)))
        return
    for node, snap, rows, summary in blocks:
        if snap is None:
            env.stdout.write(rep.summary_lines(node, summary))
            continue
        env.stdout.write(rep.node_line(node, snap) + "\n")
        env.stdout.write(rep.table(rows))
