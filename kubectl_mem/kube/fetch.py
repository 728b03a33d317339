"""Gather what the model needs, concurrently, with one status per source.

Pods are required; nodes, metrics and priority classes are optional: when one is missing or
forbidden the view still shows what it has and a `Problem` says what is missing and why (the CLI
turns that into the PARTIAL exit code).

Eviction ranks compare every pod on a node, whatever its namespace, so when the view is narrowed
(`-n`, `-l`, `--field-selector`) the pods of the nodes involved are fetched as context too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import quote

import msgspec

from kubectl_mem.errors import (
    ApiError,
    ApiNotFoundError,
    ForbiddenError,
    KubectlMemError,
    NotFoundError,
)
from kubectl_mem.kube import codecs, decode, owners
from kubectl_mem.kube.codecs import Codec
from kubectl_mem.kube.http import Transport, malformed
from kubectl_mem.kube.lists import list_all
from kubectl_mem.kube.protocol import DEFAULT_PROTOCOL, DEFAULT_STREAMING, Protocol
from kubectl_mem.kube.watch import list_objects
from kubectl_mem.model.records import Controller, Node, NodeUsage, Pod, PodUsage, PriorityClass

T = TypeVar("T")

METRICS = "/apis/metrics.k8s.io/v1beta1"
MAX_CONTEXT_NODES = 20  # above this, one cluster-wide list is cheaper than a list per node
WORKERS = 8


@dataclass
class Scope:
    namespace: str | None = None  # None: all namespaces
    label_selector: str = ""
    field_selector: str = ""
    node: str = ""
    owners: bool = False  # also list the pods' owners (ReplicaSets, Deployments ...: kube/owners.py)
    context: bool = True  # fetch the other pods of the shown pods' nodes (eviction ranks need them)

    @property
    def narrowed(self) -> bool:
        """True when the shown pods may not be all the pods of their nodes."""
        return bool(self.namespace is not None or self.label_selector or self.field_selector)

    def pod_params(self) -> list[tuple[str, str]]:
        params = []
        if self.label_selector:
            params.append(("labelSelector", self.label_selector))
        fields = [f for f in (self.field_selector, f"spec.nodeName={self.node}" if self.node else "") if f]
        if fields:
            params.append(("fieldSelector", ",".join(fields)))
        return params


@dataclass
class Problem:
    source: str  # "metrics", "nodes", "context", "priorityclasses"
    message: str
    partial: bool = True  # False: worth saying, but the result is still complete


@dataclass
class ClusterData:
    pods: list[Pod]  # the shown pods, then the context pods of their nodes
    shown: set[str] | None  # keys "ns/name" of the pods to show; None: all of `pods`
    nodes: list[Node]
    pod_usage: list[PodUsage]
    node_usage: list[NodeUsage]
    priority_classes: list[PriorityClass]
    metrics_available: bool
    taken_at: str
    problems: list[Problem] = field(default_factory=list)
    summary_nodes: list[str] = field(default_factory=list)  # nodes whose kubelet Summary API was read
    controllers: list[Controller] | None = None  # the pods' owners; None: not asked for
    owner_kinds_listed: frozenset[str] = frozenset()  # the owner kinds whose list was read


def with_owners(data: ClusterData, owned: owners.OwnersResult | None) -> None:
    """The pods' owners (and what reading them said) into `data`; None: owners were not asked for."""
    if owned is None:
        return
    data.problems += [Problem(source, message) for source, message in owned.problems]
    data.controllers = owned.controllers
    data.owner_kinds_listed = owned.listed


def now_rfc3339() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pods_path(namespace: str | None) -> str:
    return f"/api/v1/namespaces/{quote(namespace, safe='')}/pods" if namespace else "/api/v1/pods"


def metrics_path(namespace: str | None) -> str:
    return f"{METRICS}/namespaces/{quote(namespace, safe='')}/pods" if namespace else f"{METRICS}/pods"


def metrics_problem(e: KubectlMemError) -> Problem:
    if isinstance(e, ForbiddenError):
        return Problem("metrics", f"usage unknown: {e.message}")
    if isinstance(e, ApiNotFoundError) or (isinstance(e, ApiError) and e.code == 503):
        return Problem(
            "metrics",
            "usage unknown: the metrics API (metrics.k8s.io) is not served; install metrics-server "
            "(https://github.com/kubernetes-sigs/metrics-server) to see working sets",
        )
    return Problem("metrics", f"usage unknown: {e}")


@dataclass(frozen=True)
class Wire:
    """How pods and nodes are fetched: the protocol, and streaming lists where the server has them."""

    protocol: Protocol = DEFAULT_PROTOCOL
    streaming: bool = DEFAULT_STREAMING

    @property
    def pods(self) -> Codec:
        return codecs.PODS[self.protocol]

    @property
    def nodes(self) -> Codec:
        return codecs.NODES[self.protocol]


def list_records(transport: Transport, path: str, codec: Codec, wire: Wire, params=()) -> list:
    """Every object of a core/v1 list, streamed or paged, in the chosen protocol."""
    return list_objects(transport, path, list(params), codec, streaming=wire.streaming)[0]


def fetch(
    transport: Transport,
    scope: Scope,
    *,
    metrics_transport: Transport | None = None,
    wire: Wire | None = None,
) -> ClusterData:
    """List pods, nodes, metrics and priority classes concurrently for `scope`."""
    wire = wire or Wire()
    mt = metrics_transport or transport
    problems: list[Problem] = []
    taken_at = now_rfc3339()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        f_pods = pool.submit(
            list_records, transport, pods_path(scope.namespace), wire.pods, wire, scope.pod_params()
        )
        f_nodes: Future = (
            pool.submit(get_node, transport, scope.node, wire.nodes)
            if scope.node
            else pool.submit(list_records, transport, "/api/v1/nodes", wire.nodes, wire)
        )
        metrics_params = [("labelSelector", scope.label_selector)] if scope.label_selector else []
        pod_metrics_ns = scope.namespace
        f_pod_metrics = pool.submit(
            list_all, mt, metrics_path(pod_metrics_ns), decode.pod_metrics_page, metrics_params, limit=None
        )
        f_node_metrics = pool.submit(list_all, mt, f"{METRICS}/nodes", decode.node_metrics_page, limit=None)
        f_priority = pool.submit(
            list_all, transport, "/apis/scheduling.k8s.io/v1/priorityclasses", decode.priority_classes_page
        )

        pods = f_pods.result()  # required: its error is the command's error
        f_owners = owners.submit(pool, transport, scope.namespace) if scope.owners else None
        nodes = _optional(f_nodes, problems, "nodes", _nodes_problem) or []
        metrics_available = True
        try:
            pod_usage = f_pod_metrics.result()
        except KubectlMemError as e:
            pod_usage, metrics_available = [], False
            problems.append(metrics_problem(e))
        try:
            node_usage = f_node_metrics.result()
        except KubectlMemError as e:
            node_usage = []
            if metrics_available:  # one message about metrics is enough
                problems.append(metrics_problem(e))
                metrics_available = False
        priority_classes = _optional(f_priority, problems, "priorityclasses", _priority_problem) or []

        shown: set[str] | None = None
        if scope.narrowed and scope.context and pods:
            shown = {p.key for p in pods}
            context, context_usage = _context(
                pool, transport, mt, scope, pods, metrics_available, problems, wire
            )
            pods = pods + [p for p in context if p.key not in shown]
            if context_usage:
                have = {u.key for u in pod_usage}
                pod_usage = pod_usage + [u for u in context_usage if u.key not in have]
        owned = owners.collect(f_owners, scope.namespace) if f_owners is not None else None
    data = ClusterData(
        pods=pods,
        shown=shown,
        nodes=nodes,
        pod_usage=pod_usage,
        node_usage=node_usage,
        priority_classes=priority_classes,
        metrics_available=metrics_available,
        taken_at=taken_at,
        problems=problems,
    )
    with_owners(data, owned)
    from kubectl_mem.kube.summary import fill_usage_gaps

    return fill_usage_gaps(transport, data)


def _optional(
    fut: Future, problems: list[Problem], source: str, describe: Callable[[KubectlMemError], Problem]
):
    try:
        return fut.result()
    except (ForbiddenError, ApiNotFoundError) as e:
        problems.append(describe(e))
        return None


def _nodes_problem(e: KubectlMemError) -> Problem:
    return Problem("nodes", f"node capacity unknown, so no node headroom or oom_score_adj: {e.message}")


def _priority_problem(e: KubectlMemError) -> Problem:
    # spec.priority is filled in by admission, so ranks stay right without the classes
    return Problem("priorityclasses", f"priority classes not readable: {e.message}", partial=False)


def _context(
    pool: ThreadPoolExecutor,
    transport: Transport,
    mt: Transport,
    scope: Scope,
    pods: list[Pod],
    metrics_available: bool,
    problems: list[Problem],
    wire: Wire,
) -> tuple[list[Pod], list[PodUsage]]:
    """The other pods of the shown pods' nodes, and their usage, so eviction ranks are true."""
    node_names = sorted({p.node for p in pods if p.node})
    if not node_names:
        return [], []
    if len(node_names) > MAX_CONTEXT_NODES:
        futures = [pool.submit(list_records, transport, "/api/v1/pods", wire.pods, wire)]
    else:
        futures = [
            pool.submit(
                list_records,
                transport,
                "/api/v1/pods",
                wire.pods,
                wire,
                [("fieldSelector", f"spec.nodeName={n}")],
            )
            for n in node_names
        ]
    f_usage = (
        pool.submit(list_all, mt, metrics_path(None), decode.pod_metrics_page, limit=None)
        if metrics_available and (scope.namespace is not None or scope.label_selector)
        else None
    )
    context: list[Pod] = []
    try:
        for f in futures:
            context.extend(f.result())
        usage = f_usage.result() if f_usage is not None else []
    except (ForbiddenError, ApiNotFoundError) as e:
        problems.append(
            Problem(
                "context",
                "eviction ranks count only the pods shown "
                f"(cannot see the other pods of their nodes: {e.message})",
            )
        )
        return [], []
    wanted = set(node_names)
    return [p for p in context if p.node in wanted], usage


def get_node(transport: Transport, name: str, codec: Codec = codecs.NODES["json"]) -> list[Node]:
    path = f"/api/v1/nodes/{quote(name, safe='')}"
    try:
        body = transport.get(path, accept=codec.accept).body
    except ApiNotFoundError:
        raise NotFoundError(f'node "{name}" not found') from None
    try:
        return [codec.decode_one(body)]
    except Exception as e:
        raise malformed(path, e) from None


def get_pod(transport: Transport, namespace: str, name: str, codec: Codec = codecs.PODS["json"]) -> Pod:
    path = f"{pods_path(namespace)}/{quote(name, safe='')}"
    try:
        body = transport.get(path, accept=codec.accept).body
    except ApiNotFoundError:
        raise pod_not_found(transport, namespace, name) from None
    try:
        return codec.decode_one(body)
    except Exception as e:
        raise malformed(path, e) from None


class _Namespace(msgspec.Struct):
    namespace: str = ""


class _Named(msgspec.Struct):
    metadata: _Namespace


class _NamedList(msgspec.Struct):
    items: list[_Named] = []


def pod_not_found(transport: Transport, namespace: str, name: str) -> NotFoundError:
    """`pod "x" not found in namespace "a"`, and where a pod of that name does exist: one LIST across
    the namespaces with `metadata.name=x` selected by the server. Without the right to list every
    namespace (or on any error) the message says only what is known."""
    message = f'pod "{name}" not found in namespace "{namespace}"'
    try:
        body = transport.get(
            pods_path(None), [("fieldSelector", f"metadata.name={name}"), ("limit", "50")]
        ).body
        found = sorted({i.metadata.namespace for i in msgspec.json.decode(body, type=_NamedList).items})
    except (KubectlMemError, msgspec.DecodeError, OSError):
        found = []
    found = [ns for ns in found if ns != namespace]
    if found:
        plural = "s" if len(found) > 1 else ""
        message += f"; it exists in namespace{plural} {', '.join(found)} (add -n {found[0]})"
    return NotFoundError(message)
