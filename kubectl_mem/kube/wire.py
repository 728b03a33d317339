"""The API's JSON, as msgspec structs that declare only the fields kubectl-mem reads.

msgspec skips every undeclared field while decoding (managedFields, most of spec and status), so a
20k-pod list decodes in a fraction of the time and memory of the client's full model objects.
Field names follow the API; `rename="camel"` maps snake_case attributes to camelCase keys.
"""

from __future__ import annotations

import msgspec


class _W(msgspec.Struct, rename="camel", gc=False):
    pass


class ListMeta(_W):
    resource_version: str = ""
    continue_: str = msgspec.field(default="", name="continue")
    remaining_item_count: int | None = None


class OwnerReference(_W):
    kind: str = ""
    name: str = ""
    controller: bool = False


class PodAnnotations(msgspec.Struct, gc=False):
    """Only the annotations the eviction rules need: static and mirror pods are critical."""

    mirror: str | None = msgspec.field(default=None, name="kubernetes.io/config.mirror")
    source: str | None = msgspec.field(default=None, name="kubernetes.io/config.source")


class ObjectMeta(_W):
    name: str = ""
    namespace: str = ""
    uid: str = ""
    resource_version: str = ""  # where a watch goes on from
    creation_timestamp: str | None = None
    labels: dict[str, str] | None = None
    owner_references: list[OwnerReference] | None = None


class PodMeta(ObjectMeta):
    annotations: PodAnnotations | None = None
    deletion_timestamp: str | None = None


class ResourceRequirements(_W):
    requests: dict[str, str] | None = None
    limits: dict[str, str] | None = None


class ResourceFieldRef(_W):
    resource: str = ""
    container_name: str = ""
    divisor: str | None = None


class EnvVarSource(_W):
    resource_field_ref: ResourceFieldRef | None = None


class EnvVar(_W):
    name: str = ""
    value: str | None = None
    value_from: EnvVarSource | None = None


class VolumeMount(_W):
    name: str = ""


class Container(_W):
    name: str = ""
    image: str = ""
    command: list[str] | None = None
    args: list[str] | None = None
    env: list[EnvVar] | None = None
    resources: ResourceRequirements | None = None
    restart_policy: str | None = None  # "Always" on an init container makes it a sidecar
    volume_mounts: list[VolumeMount] | None = None


class EmptyDir(_W):
    medium: str = ""
    size_limit: str | None = None


class Volume(_W):
    name: str = ""
    empty_dir: EmptyDir | None = None


class PodSpec(_W):
    node_name: str = ""
    priority: int | None = None
    priority_class_name: str = ""
    containers: list[Container] = msgspec.field(default_factory=list)
    init_containers: list[Container] | None = None
    resources: ResourceRequirements | None = None
    overhead: dict[str, str] | None = None
    volumes: list[Volume] | None = None


class Terminated(_W):
    reason: str = ""
    exit_code: int = 0
    signal: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    message: str = ""


class Waiting(_W):
    reason: str = ""


class Running(_W):
    started_at: str | None = None


class ContainerState(_W):
    running: Running | None = None
    waiting: Waiting | None = None
    terminated: Terminated | None = None


class ContainerStatus(_W):
    name: str = ""
    container_id: str = msgspec.field(default="", name="containerID")
    restart_count: int = 0
    ready: bool = False
    state: ContainerState | None = None
    last_state: ContainerState | None = None


class PodStatus(_W):
    phase: str = ""
    qos_class: str = msgspec.field(default="", name="qosClass")
    reason: str = ""
    message: str = ""
    start_time: str | None = None
    container_statuses: list[ContainerStatus] | None = None
    init_container_statuses: list[ContainerStatus] | None = None


class Pod(_W):
    metadata: PodMeta = msgspec.field(default_factory=PodMeta)
    spec: PodSpec = msgspec.field(default_factory=PodSpec)
    status: PodStatus = msgspec.field(default_factory=PodStatus)


class PodList(_W):
    metadata: ListMeta = msgspec.field(default_factory=ListMeta)
    items: list[Pod] = msgspec.field(default_factory=list)


class NodeCondition(_W):
    type: str = ""
    status: str = ""


class NodeSystemInfo(_W):
    kernel_version: str = ""
    container_runtime_version: str = ""


class NodeSpec(_W):
    unschedulable: bool = False


class NodeStatus(_W):
    capacity: dict[str, str] | None = None
    allocatable: dict[str, str] | None = None
    conditions: list[NodeCondition] | None = None
    node_info: NodeSystemInfo | None = None


class Node(_W):
    metadata: ObjectMeta = msgspec.field(default_factory=ObjectMeta)
    spec: NodeSpec = msgspec.field(default_factory=NodeSpec)
    status: NodeStatus = msgspec.field(default_factory=NodeStatus)


class NodeList(_W):
    metadata: ListMeta = msgspec.field(default_factory=ListMeta)
    items: list[Node] = msgspec.field(default_factory=list)


class Usage(_W):
    memory: str = "0"


class ContainerMetrics(_W):
    name: str = ""
    usage: Usage = msgspec.field(default_factory=Usage)


class PodMetrics(_W):
    metadata: ObjectMeta = msgspec.field(default_factory=ObjectMeta)
    timestamp: str | None = None
    window: str | None = None
    containers: list[ContainerMetrics] = msgspec.field(default_factory=list)


class PodMetricsList(_W):
    metadata: ListMeta = msgspec.field(default_factory=ListMeta)
    items: list[PodMetrics] = msgspec.field(default_factory=list)


class NodeMetrics(_W):
    metadata: ObjectMeta = msgspec.field(default_factory=ObjectMeta)
    timestamp: str | None = None
    window: str | None = None
    usage: Usage = msgspec.field(default_factory=Usage)


class NodeMetricsList(_W):
    metadata: ListMeta = msgspec.field(default_factory=ListMeta)
    items: list[NodeMetrics] = msgspec.field(default_factory=list)


class PriorityClass(_W):
    metadata: ObjectMeta = msgspec.field(default_factory=ObjectMeta)
    value: int = 0
    global_default: bool = False


class PriorityClassList(_W):
    metadata: ListMeta = msgspec.field(default_factory=ListMeta)
    items: list[PriorityClass] = msgspec.field(default_factory=list)
