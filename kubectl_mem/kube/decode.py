"""Decode API pages into the model's slim records.

One pass per page: msgspec decodes the bytes into `wire` structs (undeclared fields skipped), then
each item is turned into an immutable record and the wire objects are dropped with the page.
Quantities repeat a lot across a cluster ("512Mi", "1Gi"), so their parsing is cached.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from functools import lru_cache

import msgspec

from kubectl_mem.kube import wire
from kubectl_mem.model import records as r
from kubectl_mem.model.quantity import cpu_millis, memory_bytes, parse_quantity

_pod_list = msgspec.json.Decoder(wire.PodList)
_pod = msgspec.json.Decoder(wire.Pod)
_node_list = msgspec.json.Decoder(wire.NodeList)
_node = msgspec.json.Decoder(wire.Node)
_pod_metrics_list = msgspec.json.Decoder(wire.PodMetricsList)
_pod_metrics = msgspec.json.Decoder(wire.PodMetrics)
_node_metrics_list = msgspec.json.Decoder(wire.NodeMetricsList)
_node_metrics = msgspec.json.Decoder(wire.NodeMetrics)
_priority_list = msgspec.json.Decoder(wire.PriorityClassList)

SUPPORTED_POD_LEVEL = ("cpu", "memory")

# Names that repeat across thousands of pods (namespaces, nodes, images, container and label names)
# become one shared string each instead of one copy per pod: the interactive view holds a 20k-pod
# snapshot while it loads the next one, so every MiB held counts twice.
_i = sys.intern


@lru_cache(maxsize=16384)
def _shared(t: tuple) -> tuple:
    """One tuple for equal label sets, commands, args and env lists (replicas share them)."""
    return t


_BINARY = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40}


def _mem(q: str) -> int:
    """Usage values ("1623370Ki") are all different, so the cache misses on them: take the common
    integer forms directly and leave the rest to the exact parser."""
    if not q.isascii():
        return _mem_exact(q)  # str.isdigit() would accept other scripts' digits
    if q.isdigit():
        return int(q)
    scale = _BINARY.get(q[-2:])
    if scale is not None and q[:-2].isdigit():
        return int(q[:-2]) * scale
    return _mem_exact(q)


@lru_cache(maxsize=4096)
def _mem_exact(q: str) -> int:
    return memory_bytes(q)


@lru_cache(maxsize=4096)
def _cpu(q: str) -> int:
    return cpu_millis(q)


@lru_cache(maxsize=4096)
def _mem_fraction(q: str) -> Fraction | None:
    """The exact byte count when `q` is not a whole number of bytes (1.2Gi), else None."""
    v = parse_quantity(q)
    return None if v.denominator == 1 else v


@lru_cache(maxsize=4096)
def _cpu_fraction(q: str) -> Fraction | None:
    """The exact millicores when `q` is not a whole number of them (100.5m), else None."""
    v = parse_quantity(q) * 1000
    return None if v.denominator == 1 else v


def _opt(values: dict[str, str] | None, key: str, parse) -> int | None:
    if not values:
        return None
    q = values.get(key)
    return None if q is None else parse(q)


def _resources(res: wire.ResourceRequirements | None) -> r.Resources:
    if res is None:
        return r.Resources()
    req, lim = res.requests, res.limits
    any_set = any(
        k in SUPPORTED_POD_LEVEL or k.startswith("hugepages-") for d in (req or {}, lim or {}) for k in d
    )
    return r.Resources(
        memory_request=_opt(req, "memory", _mem),
        memory_limit=_opt(lim, "memory", _mem),
        cpu_request_m=_opt(req, "cpu", _cpu),
        cpu_limit_m=_opt(lim, "cpu", _cpu),
        any_set=any_set,
        memory_request_exact=_opt(req, "memory", _mem_fraction),
        memory_limit_exact=_opt(lim, "memory", _mem_fraction),
        cpu_request_exact=_opt(req, "cpu", _cpu_fraction),
        cpu_limit_exact=_opt(lim, "cpu", _cpu_fraction),
    )


def _env(env: list[wire.EnvVar] | None) -> tuple[r.EnvVar, ...]:
    if not env:
        return ()
    out = []
    for e in env:
        field = divisor = None
        if e.value_from is not None and e.value_from.resource_field_ref is not None:
            field = e.value_from.resource_field_ref.resource
            divisor = e.value_from.resource_field_ref.divisor
        out.append(r.EnvVar(_i(e.name), e.value, field, divisor, e.value_from is not None))
    return _shared(tuple(out))


def _container(c: wire.Container, kind: r.ContainerKind, memory_volumes: set[str]) -> r.ContainerSpec:
    mounts = tuple(m.name for m in c.volume_mounts or () if m.name in memory_volumes)
    return r.ContainerSpec(
        name=_i(c.name),
        kind=kind,
        image=_i(c.image),
        resources=_resources(c.resources),
        command=_shared(tuple(c.command or ())),
        args=_shared(tuple(c.args or ())),
        env=_env(c.env),
        memory_volume_mounts=mounts,
    )


def _termination(t: wire.Terminated | None) -> r.Termination | None:
    if t is None:
        return None
    return r.Termination(t.reason, t.exit_code, t.signal, t.started_at, t.finished_at, t.message)


def _status(s: wire.ContainerStatus, kind: r.ContainerKind) -> r.ContainerStatus:
    st = s.state
    state, reason, terminated = "unknown", "", None
    if st is not None:
        if st.running is not None:
            state = "running"
        elif st.terminated is not None:
            state, reason = "terminated", _i(st.terminated.reason)
            terminated = _termination(st.terminated)
        elif st.waiting is not None:
            state, reason = "waiting", _i(st.waiting.reason)
    last = _termination(s.last_state.terminated) if s.last_state is not None else None
    return r.ContainerStatus(
        name=_i(s.name),
        kind=kind,
        container_id=s.container_id,
        restart_count=s.restart_count,
        ready=s.ready,
        state=state,
        state_reason=reason,
        terminated=terminated,
        last_termination=last,
    )


def pod_record(p: wire.Pod) -> r.Pod:
    meta, spec, status = p.metadata, p.spec, p.status
    memory_volumes: list[r.Volume] = []
    for v in spec.volumes or ():
        if v.empty_dir is not None and v.empty_dir.medium == "Memory":
            size = _mem(v.empty_dir.size_limit) if v.empty_dir.size_limit else None
            memory_volumes.append(r.Volume(v.name, size))
    mv = {v.name for v in memory_volumes}

    containers: list[r.ContainerSpec] = []
    kinds: dict[str, r.ContainerKind] = {}
    for c in spec.init_containers or ():
        kind: r.ContainerKind = "sidecar" if c.restart_policy == "Always" else "init"
        kinds[c.name] = kind
        containers.append(_container(c, kind, mv))
    for c in spec.containers:
        containers.append(_container(c, "regular", mv))

    statuses = [_status(s, kinds.get(s.name, "init")) for s in status.init_container_statuses or ()]
    statuses += [_status(s, "regular") for s in status.container_statuses or ()]

    owner_kind = owner_name = ""
    for o in meta.owner_references or ():
        if o.controller or not owner_kind:
            owner_kind, owner_name = o.kind, o.name
    ann = meta.annotations
    pod_res = _resources(spec.resources) if spec.resources is not None else None
    return r.Pod(
        namespace=_i(meta.namespace),
        name=meta.name,
        uid=meta.uid,
        node=_i(spec.node_name),
        phase=_i(status.phase),
        qos_class=_i(status.qos_class),
        priority=spec.priority,
        priority_class_name=_i(spec.priority_class_name),
        created=meta.creation_timestamp,
        labels=_shared(tuple((_i(k), _i(v)) for k, v in meta.labels.items())) if meta.labels else (),
        owner_kind=_i(owner_kind),
        owner_name=owner_name,
        config_source=(ann.source or "") if ann is not None else "",
        is_mirror=ann is not None and ann.mirror is not None,
        containers=tuple(containers),
        statuses=tuple(statuses),
        pod_resources=pod_res,
        overhead_memory=_opt(spec.overhead, "memory", _mem),
        memory_volumes=tuple(memory_volumes),
        reason=status.reason,
        message=status.message,
        start_time=status.start_time,
        deleting=meta.deletion_timestamp is not None,
    )


def node_record(n: wire.Node) -> r.Node:
    st = n.status
    pressure = ready = None
    for c in st.conditions or ():
        if c.type == "MemoryPressure":
            pressure = c.status == "True" if c.status in ("True", "False") else None
        elif c.type == "Ready":
            ready = c.status == "True" if c.status in ("True", "False") else None
    info = st.node_info
    return r.Node(
        name=n.metadata.name,
        capacity_memory=_opt(st.capacity, "memory", _mem) or 0,
        allocatable_memory=_opt(st.allocatable, "memory", _mem) or 0,
        memory_pressure=pressure,
        ready=ready,
        unschedulable=n.spec.unschedulable,
        labels=tuple(n.metadata.labels.items()) if n.metadata.labels else (),
        created=n.metadata.creation_timestamp,
        kernel_version=info.kernel_version if info else "",
        container_runtime=info.container_runtime_version if info else "",
    )


def pod_usage_record(m: wire.PodMetrics) -> r.PodUsage:
    return r.PodUsage(
        namespace=m.metadata.namespace,
        name=m.metadata.name,
        containers=tuple(r.ContainerUsage(c.name, _mem(c.usage.memory)) for c in m.containers),
        timestamp=m.timestamp,
        window=m.window,
    )


def node_usage_record(m: wire.NodeMetrics) -> r.NodeUsage:
    return r.NodeUsage(m.metadata.name, _mem(m.usage.memory), m.timestamp, m.window)


def priority_class_record(p: wire.PriorityClass) -> r.PriorityClass:
    return r.PriorityClass(p.metadata.name, p.value, p.global_default)


# page decoders: bytes -> (records, list metadata)


def pods_page(body: bytes) -> tuple[list[r.Pod], wire.ListMeta]:
    page = _pod_list.decode(body)
    return [pod_record(p) for p in page.items], page.metadata


def nodes_page(body: bytes) -> tuple[list[r.Node], wire.ListMeta]:
    page = _node_list.decode(body)
    return [node_record(n) for n in page.items], page.metadata


def pod_metrics_page(body: bytes) -> tuple[list[r.PodUsage], wire.ListMeta]:
    page = _pod_metrics_list.decode(body)
    return [pod_usage_record(m) for m in page.items], page.metadata


def node_metrics_page(body: bytes) -> tuple[list[r.NodeUsage], wire.ListMeta]:
    page = _node_metrics_list.decode(body)
    return [node_usage_record(m) for m in page.items], page.metadata


def priority_classes_page(body: bytes) -> tuple[list[r.PriorityClass], wire.ListMeta]:
    page = _priority_list.decode(body)
    return [priority_class_record(p) for p in page.items], page.metadata


def one_pod(body: bytes) -> r.Pod:
    return pod_record(_pod.decode(body))


def one_node(body: bytes) -> r.Node:
    return node_record(_node.decode(body))


def pod_event(body: bytes) -> tuple[r.Pod, str]:
    """A watch event's pod and its resourceVersion, in one pass."""
    p = _pod.decode(body)
    return pod_record(p), p.metadata.resource_version


def node_event(body: bytes) -> tuple[r.Node, str]:
    n = _node.decode(body)
    return node_record(n), n.metadata.resource_version


def one_pod_usage(body: bytes) -> r.PodUsage:
    return pod_usage_record(_pod_metrics.decode(body))


def one_node_usage(body: bytes) -> r.NodeUsage:
    return node_usage_record(_node_metrics.decode(body))
