"""What `kubectl mem explain` needs from the cluster, fetched concurrently.

- the target: one pod (GET), or the pods of a Deployment / StatefulSet / DaemonSet, found through
  their ownerReferences (a Deployment's pods belong to ReplicaSets named `<deployment>-<pod-template-hash>`),
  so only `list pods` is needed, no apps/v1 access;
- for the rank on each node: the node, every pod on it (`fieldSelector=spec.nodeName=`), their
  PodMetrics (per namespace present on the node) and the NodeMetrics;
- events of the target pods (liveness kills, evictions) and of their nodes (SystemOOM,
  OOMKilling). Events are optional: forbidden or missing events only make the story shorter.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import quote

import msgspec

from kubectl_mem.errors import ApiNotFoundError, ForbiddenError, KubectlMemError, NotFoundError
from kubectl_mem.kube import codecs, decode, decode_pb, pb
from kubectl_mem.kube.fetch import (
    METRICS,
    WORKERS,
    ClusterData,
    Problem,
    Wire,
    get_node,
    get_pod,
    list_records,
    metrics_path,
    metrics_problem,
    now_rfc3339,
    pods_path,
)
from kubectl_mem.kube.http import Transport
from kubectl_mem.kube.lists import list_all
from kubectl_mem.kube.summary import fill_usage_gaps
from kubectl_mem.kube.wire import ListMeta
from kubectl_mem.model.explain import EventRecord
from kubectl_mem.model.records import Pod, PodUsage

WORKLOAD_KINDS = {"Deployment": "deployment", "StatefulSet": "statefulset", "DaemonSet": "daemonset"}


class _Source(msgspec.Struct, frozen=True, gc=False):
    component: str = ""


class _Involved(msgspec.Struct, frozen=True, gc=False):
    kind: str = ""
    name: str = ""
    namespace: str = ""


class _EventMeta(msgspec.Struct, frozen=True, gc=False):
    namespace: str = ""


class _Event(msgspec.Struct, rename="camel", gc=False):
    metadata: _EventMeta = _EventMeta()
    involved_object: _Involved = _Involved()
    reason: str = ""
    message: str = ""
    type: str = ""
    count: int | None = None
    last_timestamp: str | None = None
    event_time: str | None = None
    source: _Source = _Source()


class _ListMeta(msgspec.Struct, frozen=True, gc=False):
    resource_version: str = msgspec.field(default="", name="resourceVersion")
    continue_: str = msgspec.field(default="", name="continue")


class _EventList(msgspec.Struct, gc=False):
    metadata: _ListMeta = _ListMeta()
    items: list[_Event] = []


_event_list = msgspec.json.Decoder(_EventList)


def events_page(body: bytes) -> tuple[list[EventRecord], _ListMeta]:
    page = _event_list.decode(body)
    out = [
        EventRecord(
            involved_kind=e.involved_object.kind,
            involved_name=e.involved_object.name,
            reason=e.reason,
            message=e.message,
            namespace=e.metadata.namespace,
            type=e.type,
            count=e.count or 1,
            last_timestamp=e.last_timestamp or e.event_time,
            component=e.source.component,
        )
        for e in page.items
    ]
    return out, page.metadata


def _micro_time(t) -> str | None:
    if not t.HasField("seconds"):
        return None
    at = decode_pb._EPOCH + dt.timedelta(seconds=t.seconds, microseconds=t.nanos // 1000)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_record(e) -> EventRecord:
    last = decode_pb._time(e.last_timestamp) if e.HasField("last_timestamp") else None
    return EventRecord(
        involved_kind=e.involved_object.kind,
        involved_name=e.involved_object.name,
        reason=e.reason,
        message=e.message,
        namespace=e.metadata.namespace,
        type=e.type,
        count=e.count or 1,
        last_timestamp=last or (_micro_time(e.event_time) if e.HasField("event_time") else None),
        component=e.source.component,
    )


def events_page_pb(body: bytes) -> tuple[list[EventRecord], ListMeta]:
    """Events from protobuf, as `events_page` makes them from JSON."""
    return decode_pb._page(body, pb.EventList, event_record)


@dataclass
class ExplainData:
    data: ClusterData
    targets: list[Pod]
    pod_events: dict[str, list[EventRecord]] = field(default_factory=dict)
    node_events: dict[str, list[EventRecord]] = field(default_factory=dict)


def _events(transport: Transport, path: str, selector: str, wire: Wire) -> list[EventRecord]:
    """Events, in protobuf where the wire is (the JSON answer of a server without it still reads)."""
    params = [("fieldSelector", selector)]
    if wire.protocol == "json":
        return list_all(transport, path, events_page, params)
    return list_all(
        transport,
        path,
        lambda body: events_page_pb(body) if body[:4] == pb.MAGIC else events_page(body),
        params,
        accept=codecs.PROTOBUF_FIRST,
        head=codecs.PODS["protobuf"].list_head,  # any list's metadata
    )


def workload_pods(
    transport: Transport, namespace: str, kind: str, name: str, wire: Wire | None = None
) -> list[Pod]:
    """The pods a Deployment / StatefulSet / DaemonSet owns, found by ownerReferences."""
    wire = wire or Wire()
    pods = list_records(transport, pods_path(namespace), wire.pods, wire)
    out = []
    for p in pods:
        if kind == "Deployment":
            h = dict(p.labels).get("pod-template-hash")
            if p.owner_kind == "ReplicaSet" and h and p.owner_name == f"{name}-{h}":
                out.append(p)
        elif p.owner_kind == kind and p.owner_name == name:
            out.append(p)
    if not out:
        raise NotFoundError(f'no pods of {WORKLOAD_KINDS[kind]} "{name}" found in namespace "{namespace}"')
    return sorted(out, key=lambda p: p.name)


def fetch_explain(
    transport: Transport,
    namespace: str,
    kind: str,
    name: str,
    *,
    metrics_transport: Transport | None = None,
    wire: Wire | None = None,
) -> ExplainData:
    """Fetch everything for `kind` ("Pod", "Deployment", "StatefulSet", "DaemonSet") `name`."""
    mt = metrics_transport or transport
    wire = wire or Wire()
    taken_at = now_rfc3339()
    targets = (
        [get_pod(transport, namespace, name, wire.pods)]
        if kind == "Pod"
        else workload_pods(transport, namespace, kind, name, wire)
    )
    problems: list[Problem] = []
    node_names = sorted({p.node for p in targets if p.node})
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        f_node_pods = {
            n: pool.submit(
                list_records,
                transport,
                "/api/v1/pods",
                wire.pods,
                wire,
                [("fieldSelector", f"spec.nodeName={n}")],
            )
            for n in node_names
        }
        f_nodes = {n: pool.submit(get_node, transport, n, wire.nodes) for n in node_names}
        f_node_metrics = pool.submit(list_all, mt, f"{METRICS}/nodes", decode.node_metrics_page, limit=None)
        f_priority = pool.submit(
            list_all, transport, "/apis/scheduling.k8s.io/v1/priorityclasses", decode.priority_classes_page
        )
        selector = (
            f"involvedObject.kind=Pod,involvedObject.name={name}"
            if kind == "Pod"
            else "involvedObject.kind=Pod"
        )
        f_pod_events = pool.submit(
            _events, transport, f"/api/v1/namespaces/{quote(namespace, safe='')}/events", selector, wire
        )
        f_node_events = {
            n: pool.submit(
                _events,
                transport,
                "/api/v1/events",
                f"involvedObject.kind=Node,involvedObject.name={n}",
                wire,
            )
            for n in node_names
        }

        context: list[Pod] = []
        context_ok = True
        for n, f in f_node_pods.items():
            try:
                context.extend(f.result())
            except (ForbiddenError, ApiNotFoundError) as e:
                if context_ok:
                    problems.append(
                        Problem(
                            "context",
                            f"eviction ranks count only the pods shown (cannot list pods of {n}: "
                            f"{e.message})",
                        )
                    )
                context_ok = False
        keys = {p.key for p in targets}
        pods = targets + [p for p in context if p.key not in keys]
        namespaces = sorted({p.namespace for p in pods})
        f_pod_metrics: dict[str, Future] = {
            ns: pool.submit(list_all, mt, metrics_path(ns), decode.pod_metrics_page, limit=None)
            for ns in namespaces
        }
        metrics_available = True
        pod_usage: list[PodUsage] = []
        for f in f_pod_metrics.values():
            try:
                pod_usage.extend(f.result())
            except KubectlMemError as e:
                if metrics_available:
                    problems.append(metrics_problem(e))
                metrics_available = False
        if not metrics_available:
            pod_usage = []
        try:
            node_usage = f_node_metrics.result()
        except KubectlMemError as e:
            node_usage = []
            if metrics_available:
                problems.append(metrics_problem(e))
                metrics_available = False
        nodes = []
        for n, f in f_nodes.items():
            try:
                nodes.extend(f.result())
            except (ForbiddenError, NotFoundError) as e:
                problems.append(
                    Problem(
                        "nodes", f"node {n} not readable, so no node headroom or oom_score_adj: {e.message}"
                    )
                )
        try:
            priority_classes = f_priority.result()
        except (ForbiddenError, ApiNotFoundError) as e:
            priority_classes = []
            problems.append(
                Problem("priorityclasses", f"priority classes not readable: {e.message}", partial=False)
            )
        pod_events: dict[str, list[EventRecord]] = {}
        try:
            for ev in f_pod_events.result():
                pod_events.setdefault(ev.involved_name, []).append(ev)
        except (ForbiddenError, ApiNotFoundError) as e:
            problems.append(Problem("events", f"pod events not readable: {e.message}", partial=False))
        node_events: dict[str, list[EventRecord]] = {}
        for n, f in f_node_events.items():
            try:
                node_events[n] = f.result()
            except (ForbiddenError, ApiNotFoundError) as e:
                problems.append(Problem("events", f"node events not readable: {e.message}", partial=False))
    data = ClusterData(
        pods=pods,
        shown=keys,
        nodes=nodes,
        pod_usage=pod_usage,
        node_usage=node_usage,
        priority_classes=priority_classes,
        metrics_available=metrics_available,
        taken_at=taken_at,
        problems=problems,
    )
    fill_usage_gaps(transport, data)
    return ExplainData(data, targets, pod_events, node_events)
