"""Decode protobuf pages into the same slim records as `decode.py` makes from JSON.

Same fields, same values: where JSON omits an empty value (`omitempty`), the Go protobuf encoder
still writes it (an empty string, a 0 signal, an empty Time for a zero time), so those become the
None the JSON path gives. Maps come out of the parser in no set order: they are sorted by key, as a
Go server writes them in JSON. `tests/kube/test_decode_pb.py` holds the two paths equal on the simulated
cluster's scenario and the real-API-server tests on a real kube-apiserver.
"""

from __future__ import annotations

import datetime as dt
import time
from functools import lru_cache

from kubectl_mem.kube import pb, wire
from kubectl_mem.kube.decode import SUPPORTED_POD_LEVEL, _cpu, _cpu_fraction, _i, _mem, _mem_fraction, _shared
from kubectl_mem.model import records as r

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_CONTAINER_CACHE = 8192


def _time(t) -> str | None:
    """metav1.Time as the JSON path has it (RFC 3339, seconds); a zero time is sent empty."""
    if not t.HasField("seconds"):
        return None
    return _rfc3339(t.seconds)


@lru_cache(maxsize=16384)
def _rfc3339(seconds: int) -> str:
    """Pods of one rollout share their times: format each second once."""
    if seconds < 0:
        return (_EPOCH + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _opt(values, key: str, parse) -> int | None:
    q = values.get(key)
    return None if q is None else parse(q.string)


def _resources(res) -> r.Resources:
    req, lim = res.requests, res.limits
    any_set = any(k in SUPPORTED_POD_LEVEL or k.startswith("hugepages-") for d in (req, lim) for k in d)
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


def _env(env) -> tuple[r.EnvVar, ...]:
    if not env:
        return ()
    out = []
    for e in env:
        field = divisor = None
        if e.HasField("value_from") and e.value_from.HasField("resource_field_ref"):
            ref = e.value_from.resource_field_ref
            field = ref.resource
            divisor = ref.divisor.string if ref.HasField("divisor") else None
        out.append(r.EnvVar(_i(e.name), e.value or None, field, divisor, e.HasField("value_from")))
    return _shared(tuple(out))


_containers: dict[tuple[bytes, str, frozenset[str]], r.ContainerSpec] = {}


def _container(c, kind: r.ContainerKind, memory_volumes: set[str]) -> r.ContainerSpec:
    """Replicas carry byte-identical containers: decode each distinct one once. The key holds only the
    fields we read (not probes, security contexts...: smaller keys, less memory), taken without
    changing the parsed message: the decode path only reads (a page's messages were once trimmed in
    place with DiscardUnknownFields, and a CI run crashed in upb reading a sibling field after it)."""
    key = (
        c.name,
        c.image,
        c.resources.SerializeToString(),
        tuple(c.command),
        tuple(c.args),
        tuple(e.SerializeToString() for e in c.env),
        tuple(m.name for m in c.volume_mounts),
        kind,
        frozenset(memory_volumes),
    )
    hit = _containers.get(key)
    if hit is None:
        if len(_containers) >= _CONTAINER_CACHE:
            _containers.clear()
        hit = _containers[key] = _decode_container(c, kind, memory_volumes)
    return hit


def _decode_container(c, kind: r.ContainerKind, memory_volumes: set[str]) -> r.ContainerSpec:
    mounts = tuple(m.name for m in c.volume_mounts if m.name in memory_volumes)
    return r.ContainerSpec(
        name=_i(c.name),
        kind=kind,
        image=_i(c.image),
        resources=_resources(c.resources) if c.HasField("resources") else r.Resources(),
        command=_shared(tuple(c.command)),
        args=_shared(tuple(c.args)),
        env=_env(c.env),
        memory_volume_mounts=mounts,
    )


def _termination(t) -> r.Termination:
    return r.Termination(
        t.reason,
        t.exit_code,
        t.signal or None,  # omitempty in JSON
        _time(t.started_at) if t.HasField("started_at") else None,
        _time(t.finished_at) if t.HasField("finished_at") else None,
        t.message,
    )


def _status(s, kind: r.ContainerKind) -> r.ContainerStatus:
    state, reason, terminated = "unknown", "", None
    if s.HasField("state"):
        st = s.state
        if st.HasField("running"):
            state = "running"
        elif st.HasField("terminated"):
            state, reason = "terminated", _i(st.terminated.reason)
            terminated = _termination(st.terminated)
        elif st.HasField("waiting"):
            state, reason = "waiting", _i(st.waiting.reason)
    last = None
    if s.HasField("last_state") and s.last_state.HasField("terminated"):
        last = _termination(s.last_state.terminated)
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


def pod_record(p) -> r.Pod:
    meta, spec, status = p.metadata, p.spec, p.status
    memory_volumes: list[r.Volume] = []
    for v in spec.volumes:
        if v.volume_source.HasField("empty_dir") and v.volume_source.empty_dir.medium == "Memory":
            ed = v.volume_source.empty_dir
            size = _mem(ed.size_limit.string) if ed.HasField("size_limit") and ed.size_limit.string else None
            memory_volumes.append(r.Volume(v.name, size))
    mv = {v.name for v in memory_volumes}

    containers: list[r.ContainerSpec] = []
    kinds: dict[str, r.ContainerKind] = {}
    for c in spec.init_containers:
        kind: r.ContainerKind = "sidecar" if c.restart_policy == "Always" else "init"
        kinds[c.name] = kind
        containers.append(_container(c, kind, mv))
    for c in spec.containers:
        containers.append(_container(c, "regular", mv))

    statuses = [_status(s, kinds.get(s.name, "init")) for s in status.init_container_statuses]
    statuses += [_status(s, "regular") for s in status.container_statuses]

    owner_kind = owner_name = ""
    for o in meta.owner_references:
        if o.controller or not owner_kind:
            owner_kind, owner_name = o.kind, o.name
    ann = meta.annotations
    labels = meta.labels
    return r.Pod(
        namespace=_i(meta.namespace),
        name=meta.name,
        uid=meta.uid,
        node=_i(spec.node_name),
        phase=_i(status.phase),
        qos_class=_i(status.qos_class),
        priority=spec.priority if spec.HasField("priority") else None,
        priority_class_name=_i(spec.priority_class_name),
        created=_time(meta.creation_timestamp) if meta.HasField("creation_timestamp") else None,
        deleting=meta.HasField("deletion_timestamp"),
        labels=_shared(tuple((_i(k), _i(v)) for k, v in sorted(labels.items()))) if labels else (),
        owner_kind=_i(owner_kind),
        owner_name=owner_name,
        config_source=ann.get("kubernetes.io/config.source", ""),
        is_mirror="kubernetes.io/config.mirror" in ann,
        containers=tuple(containers),
        statuses=tuple(statuses),
        pod_resources=_resources(spec.resources) if spec.HasField("resources") else None,
        overhead_memory=_opt(spec.overhead, "memory", _mem),
        memory_volumes=tuple(memory_volumes),
        reason=status.reason,
        message=status.message,
        start_time=_time(status.start_time) if status.HasField("start_time") else None,
    )


def node_record(n) -> r.Node:
    st = n.status
    pressure = ready = None
    for c in st.conditions:
        if c.type == "MemoryPressure":
            pressure = c.status == "True" if c.status in ("True", "False") else None
        elif c.type == "Ready":
            ready = c.status == "True" if c.status in ("True", "False") else None
    info = st.node_info
    meta = n.metadata
    return r.Node(
        name=meta.name,
        capacity_memory=_opt(st.capacity, "memory", _mem) or 0,
        allocatable_memory=_opt(st.allocatable, "memory", _mem) or 0,
        memory_pressure=pressure,
        ready=ready,
        unschedulable=n.spec.unschedulable,
        labels=tuple(sorted(meta.labels.items())) if meta.labels else (),
        created=_time(meta.creation_timestamp) if meta.HasField("creation_timestamp") else None,
        kernel_version=info.kernel_version,
        container_runtime=info.container_runtime_version,
    )


def list_meta(m) -> wire.ListMeta:
    return wire.ListMeta(
        resource_version=m.resource_version,
        continue_=m.continue_,
        remaining_item_count=m.remaining_item_count if m.HasField("remaining_item_count") else None,
    )


def _page(body: bytes, list_type, record):
    _, raw = pb.unwrap(body)
    page = pb.parse(list_type, raw)
    return [record(x) for x in page.items], list_meta(page.metadata)


def pods_page(body: bytes) -> tuple[list[r.Pod], wire.ListMeta]:
    return _page(body, pb.PodList, pod_record)


def nodes_page(body: bytes) -> tuple[list[r.Node], wire.ListMeta]:
    return _page(body, pb.NodeList, node_record)


def one_pod(body: bytes) -> r.Pod:
    return pod_record(pb.parse(pb.Pod, pb.unwrap(body)[1]))


def one_node(body: bytes) -> r.Node:
    return node_record(pb.parse(pb.Node, pb.unwrap(body)[1]))


def pod_event(body: bytes) -> tuple[r.Pod, str]:
    """A watch event's pod and its resourceVersion, in one parse."""
    p = pb.parse(pb.Pod, pb.unwrap(body)[1])
    return pod_record(p), p.metadata.resource_version


def node_event(body: bytes) -> tuple[r.Node, str]:
    n = pb.parse(pb.Node, pb.unwrap(body)[1])
    return node_record(n), n.metadata.resource_version


def list_head(body: bytes) -> wire.ListMeta:
    """The list metadata alone (the fetcher thread reads the next page's token from it)."""
    return list_meta(pb.parse(pb.ListHead, pb.unwrap(body)[1]).metadata)
