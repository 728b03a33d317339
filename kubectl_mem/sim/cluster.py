"""The simulated cluster's state: plain Kubernetes dicts, serialised once, served from snapshots.

Every object is encoded to JSON when it is stored. Lists are served from an immutable, sorted
`Snapshot` per resource (what etcd + the watch cache give the real apiserver: a consistent view at one
resourceVersion). A snapshot also owns the cache of rendered list pages, so any mutation (which starts a
new snapshot) invalidates them. A few old snapshots are retained so continue tokens issued before a
mutation still resolve, like a not-yet-compacted etcd revision.
"""

from __future__ import annotations

import bisect
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from .selectors import FieldSelector, FieldTerm, LabelSelector

__all__ = [
    "RESOURCES",
    "Cluster",
    "ContainerUsage",
    "Entry",
    "ResourceType",
    "Snapshot",
    "encode",
    "rfc3339",
]

Obj = dict[str, Any]
_encoder = msgspec.json.Encoder()
encode: Callable[[Any], bytes] = _encoder.encode


def rfc3339(ts: datetime | float) -> str:
    if isinstance(ts, float | int):
        ts = datetime.fromtimestamp(ts, UTC)
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _meta_fields(o: Obj) -> dict[str, str]:
    md = o.get("metadata", {})
    out = {"metadata.name": md.get("name", "")}
    if "namespace" in md:
        out["metadata.namespace"] = md["namespace"]
    return out


def _pod_fields(o: Obj) -> dict[str, str]:
    spec, status = o.get("spec", {}), o.get("status", {})
    out = _meta_fields(o)
    out.update(
        {
            "spec.nodeName": spec.get("nodeName", ""),
            "spec.restartPolicy": spec.get("restartPolicy", ""),
            "spec.schedulerName": spec.get("schedulerName", ""),
            "spec.serviceAccountName": spec.get("serviceAccountName", ""),
            "spec.hostNetwork": "true" if spec.get("hostNetwork") else "false",
            "status.phase": status.get("phase", ""),
            "status.podIP": status.get("podIP", ""),
            "status.nominatedNodeName": status.get("nominatedNodeName", ""),
        }
    )
    return out


def _node_fields(o: Obj) -> dict[str, str]:
    out = _meta_fields(o)
    out["spec.unschedulable"] = "true" if o.get("spec", {}).get("unschedulable") else "false"
    return out


def _namespace_fields(o: Obj) -> dict[str, str]:
    out = _meta_fields(o)
    out["status.phase"] = o.get("status", {}).get("phase", "")
    return out


def _event_fields(o: Obj) -> dict[str, str]:
    inv = o.get("involvedObject", {})
    out = _meta_fields(o)
    out.update(
        {
            "involvedObject.kind": inv.get("kind", ""),
            "involvedObject.namespace": inv.get("namespace", ""),
            "involvedObject.name": inv.get("name", ""),
            "involvedObject.uid": inv.get("uid", ""),
            "involvedObject.apiVersion": inv.get("apiVersion", ""),
            "involvedObject.resourceVersion": inv.get("resourceVersion", ""),
            "involvedObject.fieldPath": inv.get("fieldPath", ""),
            "reason": o.get("reason", ""),
            "reportingComponent": o.get("reportingComponent", ""),
            "source": o.get("source", {}).get("component", ""),
            "type": o.get("type", ""),
        }
    )
    return out


def _job_fields(o: Obj) -> dict[str, str]:
    # batch/v1 Jobs select on status.successful too (pkg/registry/batch/job/strategy.go JobToSelectableFields)
    out = _meta_fields(o)
    out["status.successful"] = str(o.get("status", {}).get("succeeded", 0))
    return out


@dataclass(frozen=True, slots=True)
class ResourceType:
    key: str  # qualified resource, as RBAC names it: "pods", "pods.metrics.k8s.io"
    resource: str
    group: str
    version: str
    kind: str
    namespaced: bool
    fields: Callable[[Obj], dict[str, str]]
    field_names: frozenset[str]
    has_resource_version: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"


def _rt(
    key: str,
    resource: str,
    group: str,
    version: str,
    kind: str,
    namespaced: bool,
    fields: Callable[[Obj], dict[str, str]],
    sample: Obj,
    *,
    has_rv: bool = True,
) -> ResourceType:
    return ResourceType(
        key, resource, group, version, kind, namespaced, fields, frozenset(fields(sample)), has_rv
    )


_SAMPLE: Obj = {"metadata": {"name": "", "namespace": ""}}
RESOURCES: dict[str, ResourceType] = {
    rt.key: rt
    for rt in (
        _rt("pods", "pods", "", "v1", "Pod", True, _pod_fields, _SAMPLE),
        _rt("nodes", "nodes", "", "v1", "Node", False, _node_fields, {"metadata": {"name": ""}}),
        _rt(
            "namespaces",
            "namespaces",
            "",
            "v1",
            "Namespace",
            False,
            _namespace_fields,
            {"metadata": {"name": ""}},
        ),
        _rt("events", "events", "", "v1", "Event", True, _event_fields, _SAMPLE),
        _rt(
            "priorityclasses.scheduling.k8s.io",
            "priorityclasses",
            "scheduling.k8s.io",
            "v1",
            "PriorityClass",
            False,
            _meta_fields,
            {"metadata": {"name": ""}},
        ),
        *(
            _rt(f"{res}.apps", res, "apps", "v1", kind, True, _meta_fields, _SAMPLE)
            for res, kind in (
                ("deployments", "Deployment"),
                ("replicasets", "ReplicaSet"),
                ("statefulsets", "StatefulSet"),
                ("daemonsets", "DaemonSet"),
            )
        ),
        _rt("jobs.batch", "jobs", "batch", "v1", "Job", True, _job_fields, _SAMPLE),
        _rt("cronjobs.batch", "cronjobs", "batch", "v1", "CronJob", True, _meta_fields, _SAMPLE),
        _rt(
            "pods.metrics.k8s.io",
            "pods",
            "metrics.k8s.io",
            "v1beta1",
            "PodMetrics",
            True,
            _meta_fields,
            _SAMPLE,
            has_rv=False,
        ),
        _rt(
            "nodes.metrics.k8s.io",
            "nodes",
            "metrics.k8s.io",
            "v1beta1",
            "NodeMetrics",
            False,
            _meta_fields,
            {"metadata": {"name": ""}},
            has_rv=False,
        ),
    )
}


_TYPE_META = ("kind", "apiVersion")


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored object: its dict, its JSON bytes as a list item (no kind/apiVersion), and what
    selectors look at."""

    key: str  # "namespace/name" or "name": the etcd key order the apiserver lists in
    namespace: str
    name: str
    labels: Mapping[str, str]
    fields: Mapping[str, str]
    raw: bytes
    obj: Obj


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of a resource's watch history: what a watcher is sent after `rv`."""

    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    entry: Entry  # the object now (for DELETED: as deleted, at the deletion's resourceVersion)
    prev: Entry | None  # before the change, so a selector can tell entering from leaving


@dataclass(frozen=True, slots=True)
class ContainerUsage:
    """Memory (bytes) and CPU of one container, the numbers cAdvisor would report."""

    working_set: int
    usage: int | None = None  # default: working set + some inactive file cache
    rss: int | None = None  # default: most of the working set is anonymous
    page_faults: int = 0
    major_page_faults: int = 0
    cpu_nanocores: int = 1_000_000

    def filled(self) -> ContainerUsage:
        ws = self.working_set
        return ContainerUsage(
            ws,
            self.usage if self.usage is not None else ws + ws // 8,
            self.rss if self.rss is not None else ws * 7 // 8,
            self.page_faults,
            self.major_page_faults,
            self.cpu_nanocores,
        )


@dataclass(slots=True)
class NodeUsage:
    working_set: int
    usage: int | None = None
    rss: int | None = None
    page_faults: int = 0
    major_page_faults: int = 0
    cpu_nanocores: int = 0


class Snapshot:
    """An immutable, sorted view of one resource at one resourceVersion, with its page cache."""

    __slots__ = (
        "_building",
        "_cache",
        "_cache_bytes",
        "_lock",
        "_selected",
        "created",
        "entries",
        "keys",
        "rtype",
        "rv",
    )

    CACHE_LIMIT_BYTES = 1 << 30

    def __init__(self, rtype: ResourceType, rv: int, entries: Sequence[Entry]) -> None:
        self.rtype = rtype
        self.rv = rv
        self.entries: tuple[Entry, ...] = tuple(entries)
        self.keys: list[str] = [e.key for e in self.entries]
        self.created = time.monotonic()
        self._lock = threading.Lock()
        self._cache: dict[tuple[Any, ...], bytes] = {}
        self._cache_bytes = 0
        self._building: dict[tuple[Any, ...], threading.Event] = {}
        self._selected: dict[tuple[str, str, str], tuple[Entry, ...]] = {}

    def select(self, namespace: str, labels: LabelSelector, fields: FieldSelector) -> Sequence[Entry]:
        """Entries in `namespace` ("" = all) matching both selectors, in key order (cached)."""
        ck = (namespace, labels.text, fields.text)
        with self._lock:
            hit = self._selected.get(ck)
        if hit is not None:
            return hit
        items: Sequence[Entry] = self.entries
        if namespace:
            lo = bisect.bisect_left(self.keys, namespace + "/")
            hi = bisect.bisect_left(self.keys, namespace + "0")  # "0" sorts right after "/"
            items = self.entries[lo:hi]
        if not labels.empty:
            items = [e for e in items if labels.matches(e.labels)]
        if not fields.empty:
            items = [e for e in items if fields.matches(e.fields)]
        result = tuple(items)
        with self._lock:
            if len(self._selected) > 256:
                self._selected.clear()
            self._selected[ck] = result
        return result

    def cached(self, key: tuple[Any, ...], build: Callable[[], bytes]) -> bytes:
        """Rendered bytes for `key`, built once: concurrent requests for a page being built wait for it.
        Building happens outside the lock (zlib frees the GIL, so pages gzip in parallel)."""
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                return hit
            pending = self._building.get(key)
            if pending is None:
                pending = self._building[key] = threading.Event()
                owner = True
            else:
                owner = False
        if not owner:
            pending.wait()
            with self._lock:
                hit = self._cache.get(key)
            return hit if hit is not None else build()
        try:
            body = build()
            with self._lock:
                if self._cache_bytes + len(body) > self.CACHE_LIMIT_BYTES:
                    self._cache.clear()
                    self._cache_bytes = 0
                self._cache[key] = body
                self._cache_bytes += len(body)
            return body
        finally:
            with self._lock:
                self._building.pop(key, None)
            pending.set()


class Cluster:
    """Mutable cluster state. Thread-safe; objects are plain Kubernetes dicts.

    The cluster takes ownership of the dicts it is given: it stamps metadata (uid, resourceVersion,
    creationTimestamp when missing) and serialises them at once, so later in-place edits of a dict
    are not served. Call put() again to replace an object.
    """

    SNAPSHOT_HISTORY = 4
    WATCH_HISTORY = 10_000  # changes kept per resource (the watch cache); a watch from before them gets 410

    def __init__(
        self, *, now: datetime | None = None, server_version: str = "v1.32.4", name: str = "sim"
    ) -> None:
        self.name = name
        self.now = (now or datetime.now(UTC)).replace(microsecond=0)
        self.server_version = server_version
        self._lock = threading.RLock()
        self._rv = 1000
        self._data: dict[str, dict[str, Entry]] = {k: {} for k in RESOURCES}
        self._current: dict[str, Snapshot | None] = dict.fromkeys(RESOURCES)
        self._history: dict[str, deque[Snapshot]] = {
            k: deque(maxlen=self.SNAPSHOT_HISTORY) for k in RESOURCES
        }
        self._pod_usage: dict[tuple[str, str], dict[str, ContainerUsage]] = {}
        self._pod_overhead: dict[tuple[str, str], int] = {}
        self._node_usage: dict[str, NodeUsage] = {}
        self._node_summary: dict[str, Obj] = {}
        self._listeners: list[Callable[[str], None]] = []
        self._changes: dict[str, deque[Change]] = {
            k: deque(maxlen=self.WATCH_HISTORY) for k, rt in RESOURCES.items() if rt.has_resource_version
        }
        # a watch may start at any resourceVersion >= this (older changes are forgotten: 410 Gone)
        self._oldest_rv: dict[str, int] = dict.fromkeys(self._changes, self._rv)
        self._changed = threading.Condition(self._lock)

    # -- generic store ---------------------------------------------------------------------------
    @property
    def lock(self) -> threading.RLock:
        """Held around several changes that must be seen together (sim/live.py's usage ticks)."""
        return self._lock

    @property
    def resource_version(self) -> int:
        with self._lock:
            return self._rv

    def _entry(self, rtype: ResourceType, obj: Obj) -> Entry:
        md = obj.setdefault("metadata", {})
        name = md.get("name")
        if not name:
            raise ValueError(f"{rtype.kind} without metadata.name")
        ns = md.get("namespace", "") if rtype.namespaced else ""
        if rtype.namespaced and not ns:
            ns = md["namespace"] = "default"
        if rtype.has_resource_version:
            self._rv += 1
            if "uid" not in md:
                md["uid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sim/{rtype.key}/{ns}/{name}"))
            md["resourceVersion"] = str(self._rv)
            if "creationTimestamp" not in md:
                md["creationTimestamp"] = rfc3339(self.now)
        return Entry(
            f"{ns}/{name}" if rtype.namespaced else name,
            ns,
            name,
            md.get("labels") or {},
            rtype.fields(obj),
            # the apiserver leaves kind and apiVersion out of list items (a GET adds them back)
            encode({k: v for k, v in obj.items() if k not in _TYPE_META}),
            obj,
        )

    def put(self, resource: str, obj: Obj) -> Obj:
        """Create or replace one object of `resource` (a key of RESOURCES, e.g. "pods")."""
        self.put_many(resource, (obj,))
        return obj

    def put_many(self, resource: str, objs: Iterable[Obj]) -> None:
        rtype = RESOURCES[resource]
        with self._lock:
            store = self._data[resource]
            for obj in objs:
                e = self._entry(rtype, obj)
                prev = store.get(e.key)
                store[e.key] = e
                self._record(resource, "MODIFIED" if prev is not None else "ADDED", e, prev)
            self._invalidate(resource)

    def delete(self, resource: str, name: str, namespace: str = "") -> Obj | None:
        rtype = RESOURCES[resource]
        key = f"{namespace or 'default'}/{name}" if rtype.namespaced else name
        with self._lock:
            entry = self._data[resource].pop(key, None)
            if entry is None:
                return None
            if resource == "pods":
                self._pod_usage.pop((entry.namespace, name), None)
                self._data["pods.metrics.k8s.io"].pop(key, None)
                self._invalidate("pods.metrics.k8s.io")
            if rtype.has_resource_version:
                self._rv += 1
                md = {**entry.obj.get("metadata", {}), "resourceVersion": str(self._rv)}
                gone = {**entry.obj, "metadata": md}
                deleted = Entry(
                    entry.key, entry.namespace, entry.name, entry.labels, entry.fields, encode(gone), gone
                )
                self._record(resource, "DELETED", deleted, entry)
            self._invalidate(resource)
            return entry.obj

    def get(self, resource: str, name: str, namespace: str = "") -> Obj | None:
        entry = self.get_entry(resource, name, namespace)
        return None if entry is None else entry.obj

    def get_entry(self, resource: str, name: str, namespace: str = "") -> Entry | None:
        key = f"{namespace or 'default'}/{name}" if RESOURCES[resource].namespaced else name
        with self._lock:
            return self._data[resource].get(key)

    def list(self, resource: str, namespace: str = "") -> list[Obj]:
        snap = self.snapshot(resource)
        return [e.obj for e in snap.entries if not namespace or e.namespace == namespace]

    def snapshot(self, resource: str) -> Snapshot:
        with self._lock:
            snap = self._current[resource]
            if snap is None:
                entries = sorted(self._data[resource].values(), key=lambda e: e.key)
                snap = Snapshot(RESOURCES[resource], self._rv, entries)
                self._current[resource] = snap
                self._history[resource].append(snap)
            return snap

    def snapshot_at(self, resource: str, rv: int) -> Snapshot | None:
        """A retained snapshot with that resourceVersion (None once 'compacted')."""
        with self._lock:
            for snap in self._history[resource]:
                if snap.rv == rv:
                    return snap
            return None

    def renew(self, resource: str) -> Snapshot:
        """Start a new snapshot at a new resourceVersion, as if the cluster had moved on (compaction)."""
        with self._lock:
            self._rv += 1
            self._invalidate(resource)
            return self.snapshot(resource)

    def compact(self) -> None:
        """Forget every retained snapshot and the watch history: continue tokens issued so far expire and
        watches from an older resourceVersion answer 410."""
        with self._lock:
            self._rv += 1
            for key in RESOURCES:
                self._history[key].clear()
                self._current[key] = None
            for key, changes in self._changes.items():
                changes.clear()
                self._oldest_rv[key] = self._rv

    def _record(self, resource: str, type_: str, entry: Entry, prev: Entry | None) -> None:
        changes = self._changes.get(resource)
        if changes is None:
            return
        if len(changes) == changes.maxlen:
            self._oldest_rv[resource] = changes[0].rv
        changes.append(Change(self._rv, type_, entry, prev))

    def changes_since(self, resource: str, rv: int, timeout: float = 0.0) -> tuple[list[Change], int] | None:
        """The changes of `resource` after `rv` and the resourceVersion they bring a watcher to, waiting up
        to `timeout` for one; None when changes after `rv` are no longer kept (410 Gone)."""
        with self._changed:
            if rv < self._oldest_rv[resource]:
                return None
            changes = self._changes[resource]
            if timeout > 0 and (not changes or changes[-1].rv <= rv):
                self._changed.wait(timeout)
                if rv < self._oldest_rv[resource]:
                    return None
            out: list[Change] = []
            for c in reversed(changes):
                if c.rv <= rv:
                    break
                out.append(c)
            out.reverse()
            return out, self._rv

    def on_change(self, listener: Callable[[str], None]) -> None:
        """Call `listener(resource)` after each mutation (the server re-warms its caches)."""
        with self._lock:
            self._listeners.append(listener)

    def _invalidate(self, resource: str) -> None:
        self._current[resource] = None
        self._changed.notify_all()
        for listener in self._listeners:
            listener(resource)

    # -- convenience wrappers -------------------------------------------------------------------
    def add_namespace(self, ns: str | Obj) -> Obj:
        from .builders import make_namespace

        return self.put("namespaces", make_namespace(ns) if isinstance(ns, str) else ns)

    def add_node(self, node: Obj) -> Obj:
        return self.put("nodes", node)

    def add_pod(self, pod: Obj, *, ensure_namespace: bool = True) -> Obj:
        ns = pod.get("metadata", {}).get("namespace", "default")
        if ensure_namespace and self.get_entry("namespaces", ns) is None:
            self.add_namespace(ns)
        return self.put("pods", pod)

    def add_priority_class(self, pc: Obj) -> Obj:
        return self.put("priorityclasses.scheduling.k8s.io", pc)

    def add_event(self, event: Obj) -> Obj:
        return self.put("events", event)

    def set_pod_metrics(self, metrics: Obj) -> Obj:
        """Store a PodMetrics object as metrics-server would serve it."""
        return self.put("pods.metrics.k8s.io", metrics)

    def set_node_metrics(self, metrics: Obj) -> Obj:
        return self.put("nodes.metrics.k8s.io", metrics)

    def set_pod_usage(
        self,
        namespace: str,
        name: str,
        containers: Mapping[str, ContainerUsage | int],
        *,
        metrics: bool = True,
        overhead: int = 512 * 1024,
        window: str = "15.063s",
    ) -> None:
        """Record what the kubelet measures for a pod (feeds the Summary API) and, with metrics=True,
        the PodMetrics metrics-server derives from it (only for a Running pod with non-zero usage)."""
        self.set_pod_usage_many([(namespace, name, containers, metrics)], overhead=overhead, window=window)

    def set_pod_usage_many(
        self,
        items: Iterable[tuple[str, str, Mapping[str, ContainerUsage | int], bool]],
        *,
        overhead: int = 512 * 1024,
        window: str = "15.063s",
    ) -> None:
        """set_pod_usage for many pods at once: (namespace, name, containers, metrics) tuples."""
        from .builders import make_pod_metrics

        with self._lock:
            store = self._data["pods.metrics.k8s.io"]
            rtype = RESOURCES["pods.metrics.k8s.io"]
            for namespace, name, containers, metrics in items:
                usage = {
                    c: u if isinstance(u, ContainerUsage) else ContainerUsage(u)
                    for c, u in containers.items()
                }
                self._pod_usage[(namespace, name)] = usage
                self._pod_overhead[(namespace, name)] = overhead
                pod = self.get("pods", name, namespace)
                running = pod is not None and pod.get("status", {}).get("phase") == "Running"
                # metrics-server drops a pod when any container reports zero CPU or memory.
                if (
                    metrics
                    and pod
                    and running
                    and all(u.working_set > 0 and u.cpu_nanocores > 0 for u in usage.values())
                ):
                    e = self._entry(
                        rtype,
                        make_pod_metrics(
                            pod,
                            {c: u.working_set for c, u in usage.items()},
                            cpu={c: u.cpu_nanocores for c, u in usage.items()},
                            timestamp=self.now,
                            window=window,
                        ),
                    )
                    store[e.key] = e
                else:
                    store.pop(f"{namespace}/{name}", None)
            self._invalidate("pods.metrics.k8s.io")

    def pod_usage(self, namespace: str, name: str) -> tuple[dict[str, ContainerUsage], int] | None:
        with self._lock:
            usage = self._pod_usage.get((namespace, name))
            return None if usage is None else (dict(usage), self._pod_overhead.get((namespace, name), 0))

    def set_node_usage(
        self,
        name: str,
        working_set: int,
        *,
        cpu_nanocores: int = 0,
        usage: int | None = None,
        rss: int | None = None,
        metrics: bool = True,
        window: str = "20.032s",
    ) -> None:
        """Record the node's root-cgroup working set (Summary API) and its NodeMetrics."""
        from .builders import make_node_metrics

        with self._lock:
            self._node_usage[name] = NodeUsage(working_set, usage, rss, cpu_nanocores=cpu_nanocores)
            if metrics:
                self.put(
                    "nodes.metrics.k8s.io",
                    make_node_metrics(
                        name, working_set, cpu_nanocores=cpu_nanocores, timestamp=self.now, window=window
                    ),
                )
            elif self.get_entry("nodes.metrics.k8s.io", name) is not None:
                self.delete("nodes.metrics.k8s.io", name)

    def node_usage(self, name: str) -> NodeUsage | None:
        with self._lock:
            return self._node_usage.get(name)

    def set_node_summary(self, name: str, summary: Obj | None) -> None:
        """Serve exactly this stats/summary document for a node (None: derive it again)."""
        with self._lock:
            if summary is None:
                self._node_summary.pop(name, None)
            else:
                self._node_summary[name] = summary

    def summary(self, node: str) -> Obj | None:
        """The kubelet's /stats/summary for a node, or None when the node does not exist."""
        from .summary import build_summary

        with self._lock:
            if node in self._node_summary:
                return self._node_summary[node]
            node_obj = self.get("nodes", node)
            if node_obj is None:
                return None
            pods = [e.obj for e in self.snapshot("pods").select("", LabelSelector(()), _node_selector(node))]
            usage = {
                (p["metadata"]["namespace"], p["metadata"]["name"]): self._pod_usage.get(
                    (p["metadata"]["namespace"], p["metadata"]["name"])
                )
                for p in pods
            }
            overhead = dict(self._pod_overhead)
            metrics = {(e.namespace, e.name): e.obj for e in self.snapshot("pods.metrics.k8s.io").entries}
            return build_summary(
                node_obj, pods, usage, overhead, metrics, self._node_usage.get(node), self.now
            )

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {k: len(v) for k, v in self._data.items()}


def _node_selector(node: str) -> FieldSelector:
    return FieldSelector((FieldTerm("spec.nodeName", "=", node),), f"spec.nodeName={node}")
