"""Slim, typed records of what the model needs from the cluster.

`kube/` decodes API pages straight into these (never into the client's full model objects: at
20k pods that costs seconds and gigabytes). Everything here is immutable and holds plain values:
memory in bytes (int), CPU in millicores (int), times as RFC 3339 strings (as the API sends them).
`None` means "not set", which the rules distinguish from 0.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

import msgspec

ContainerKind = Literal["regular", "init", "sidecar"]
"""`sidecar` is an init container with `restartPolicy: Always` (KEP-753)."""


class Resources(msgspec.Struct, frozen=True, gc=False):
    """Requests and limits of one container, or of the pod (`spec.resources`), memory and CPU only.

    A quantity of 0 is kept as 0: the QoS rules treat it as absent, other rules may not.

    The ints are upstream's `Value()` (bytes) and `MilliValue()` (millicores), both rounded up: what
    the kubelet uses for oom_score_adj and cgroup limits. Where a quantity is not a whole number of
    them (`1.2Gi` is 1288490188.8 bytes), its exact value is kept too (`*_exact`), because QoS and
    eviction compare quantities exactly (`Quantity.Cmp`); `exact_*` below give whichever applies.
    """

    memory_request: int | None = None
    memory_limit: int | None = None
    cpu_request_m: int | None = None
    cpu_limit_m: int | None = None
    # True when the object had any supported pod-level resource (cpu, memory, hugepages-*):
    # `isPodLevelResourcesSet`. Hugepages make it true but do not count for QoS.
    any_set: bool = False
    memory_request_exact: Fraction | None = None  # bytes, only when not whole
    memory_limit_exact: Fraction | None = None
    cpu_request_exact: Fraction | None = None  # millicores, only when not whole
    cpu_limit_exact: Fraction | None = None

    @property
    def exact_memory_request(self) -> Fraction | int | None:
        return self.memory_request if self.memory_request_exact is None else self.memory_request_exact

    @property
    def exact_memory_limit(self) -> Fraction | int | None:
        return self.memory_limit if self.memory_limit_exact is None else self.memory_limit_exact

    @property
    def exact_cpu_request(self) -> Fraction | int | None:
        return self.cpu_request_m if self.cpu_request_exact is None else self.cpu_request_exact

    @property
    def exact_cpu_limit(self) -> Fraction | int | None:
        return self.cpu_limit_m if self.cpu_limit_exact is None else self.cpu_limit_exact


class EnvVar(msgspec.Struct, frozen=True, gc=False):
    name: str
    value: str | None = None  # None when it comes from valueFrom
    # "limits.memory" etc. when valueFrom.resourceFieldRef is used (the downward API)
    resource_field: str | None = None
    divisor: str | None = None  # resourceFieldRef.divisor as written; None when the spec has none ("1")
    value_from: bool = False  # set through valueFrom (resourceFieldRef, a ConfigMap, a Secret ...)


class Volume(msgspec.Struct, frozen=True, gc=False):
    """A memory-backed emptyDir (medium: Memory): its pages count against the container limit."""

    name: str
    size_limit: int | None = None


class ContainerSpec(msgspec.Struct, frozen=True, gc=False):
    name: str
    kind: ContainerKind = "regular"
    image: str = ""
    resources: Resources = Resources()
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: tuple[EnvVar, ...] = ()
    # names of memory-backed volumes this container mounts
    memory_volume_mounts: tuple[str, ...] = ()


class Termination(msgspec.Struct, frozen=True, gc=False):
    """A `state.terminated` or `lastState.terminated` of a container status."""

    reason: str = ""
    exit_code: int = 0
    signal: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    message: str = ""


class ContainerStatus(msgspec.Struct, frozen=True, gc=False):
    name: str
    kind: ContainerKind = "regular"
    container_id: str = ""  # "containerd://<id>", "cri-o://<id>", "docker://<id>"
    restart_count: int = 0
    ready: bool = False
    state: Literal["running", "waiting", "terminated", "unknown"] = "unknown"
    state_reason: str = ""  # e.g. CrashLoopBackOff (waiting) or OOMKilled (terminated)
    terminated: Termination | None = None  # the current state, when terminated
    last_termination: Termination | None = None  # lastState.terminated


class Pod(msgspec.Struct, frozen=True, gc=False):
    namespace: str
    name: str
    uid: str
    node: str = ""  # spec.nodeName; "" while unscheduled
    phase: str = ""
    qos_class: str = ""  # status.qosClass; "" when the server did not set it
    priority: int | None = None  # spec.priority (resolved by admission); None when unset
    priority_class_name: str = ""
    created: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    owner_kind: str = ""
    owner_name: str = ""
    # kubernetes.io/config.source annotation ("api" or absent for API pods; "file"/"http" for static)
    config_source: str = ""
    is_mirror: bool = False  # has the kubernetes.io/config.mirror annotation
    containers: tuple[ContainerSpec, ...] = ()  # init and sidecar containers first, in spec order
    statuses: tuple[ContainerStatus, ...] = ()
    pod_resources: Resources | None = None  # spec.resources (pod-level resources), None when absent
    overhead_memory: int | None = None  # spec.overhead.memory
    memory_volumes: tuple[Volume, ...] = ()
    reason: str = ""  # status.reason, e.g. "Evicted"
    message: str = ""  # status.message, e.g. the kubelet's eviction message
    start_time: str | None = None
    deleting: bool = False  # metadata.deletionTimestamp is set: kubectl says Terminating

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


class Node(msgspec.Struct, frozen=True, gc=False):
    name: str
    capacity_memory: int = 0
    allocatable_memory: int = 0
    memory_pressure: bool | None = None  # the MemoryPressure condition; None when unknown
    ready: bool | None = None
    unschedulable: bool = False
    labels: tuple[tuple[str, str], ...] = ()
    created: str | None = None
    kernel_version: str = ""
    container_runtime: str = ""


class ContainerUsage(msgspec.Struct, frozen=True, gc=False):
    name: str
    working_set: int  # bytes (metrics.k8s.io usage.memory is the working set)


UsageSource = Literal["metrics", "summary"]
"""Where a working set was read: metrics.k8s.io (metrics-server) or the kubelet's Summary API."""


class PodUsage(msgspec.Struct, frozen=True, gc=False):
    """A pod's working sets: metrics.k8s.io PodMetrics (per container, no pod-level or pause value),
    or the kubelet's Summary API (`source="summary"`), whose pod-level working set is the pod
    cgroup's, the figure the eviction manager ranks by."""

    namespace: str
    name: str
    containers: tuple[ContainerUsage, ...] = ()
    timestamp: str | None = None
    window: str | None = None
    source: UsageSource = "metrics"
    pod_working_set: int | None = None  # Summary API: the pod cgroup's working set

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


class NodeUsage(msgspec.Struct, frozen=True, gc=False):
    """metrics.k8s.io NodeMetrics (or the Summary API's node.memory): the root cgroup's working set."""

    name: str
    working_set: int
    timestamp: str | None = None
    window: str | None = None
    source: UsageSource = "metrics"


class Controller(msgspec.Struct, frozen=True, gc=False):
    """An object that owns pods or their owners: apps/v1 ReplicaSet, Deployment, StatefulSet,
    DaemonSet, batch/v1 Job. Only what resolving a pod's workload needs."""

    kind: str
    namespace: str
    name: str
    owner_kind: str = ""  # its own controller ownerReference (a ReplicaSet's Deployment, a Job's CronJob)
    owner_name: str = ""
    # how many pods it wants: spec.replicas (Deployment, StatefulSet, ReplicaSet),
    # status.desiredNumberScheduled (DaemonSet); None when not known
    desired: int | None = None


class PriorityClass(msgspec.Struct, frozen=True, gc=False):
    name: str
    value: int
    global_default: bool = False
