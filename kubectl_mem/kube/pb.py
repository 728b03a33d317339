"""The API's protobuf, as compiled `protobuf` messages that declare only the fields kubectl-mem reads.

Built-in types travel as protobuf when the client asks for `application/vnd.kubernetes.protobuf` (as
kubectl and client-go do): a 4-byte magic `k8s\\0`, then a `runtime.Unknown` whose `raw` holds the
object. The field numbers below are the official ones of `k8s.io/api/core/v1/generated.proto` and
`k8s.io/apimachinery/pkg/{apis/meta/v1,runtime,api/resource}/generated.proto` (checked against the
v1.36 sources); every other field is skipped by the parser, as the JSON path skips undeclared keys.
Field names are ours (snake_case); only the numbers and wire types travel.

Watch streams in protobuf (`;stream=watch`) are length-delimited frames: a 4-byte big-endian size,
then a bare `metav1.WatchEvent` (no magic), whose `object.raw` is again a `k8s\\0` envelope.
"""

from __future__ import annotations

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import DecodeError as _DecodeError

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"

# FieldDescriptorProto's enums (google/protobuf/descriptor.proto)
_LABEL_OPTIONAL, _LABEL_REPEATED = 1, 3
_TYPE_MESSAGE = 11
_TYPES = {"int64": 3, "int32": 5, "bool": 8, "string": 9, "bytes": 12}

# package -> message -> [(field name, number, type, "optional" | "repeated" | "map")]
# A type is a scalar above, a message of the same package, or ".pkg.Message"; a map's value type
# is given as its type (keys are strings, as in every Kubernetes map).
META = "k8s.io.apimachinery.pkg.apis.meta.v1"
RUNTIME = "k8s.io.apimachinery.pkg.runtime"
RESOURCE = "k8s.io.apimachinery.pkg.api.resource"
CORE = "k8s.io.api.core.v1"
_Q = f".{RESOURCE}.Quantity"
_TIME = f".{META}.Time"

SCHEMA: dict[str, dict[str, list[tuple[str, int, str, str]]]] = {
    RESOURCE: {"Quantity": [("string", 1, "string", "optional")]},
    RUNTIME: {
        "TypeMeta": [("api_version", 1, "string", "optional"), ("kind", 2, "string", "optional")],
        "Unknown": [
            ("type_meta", 1, "TypeMeta", "optional"),
            ("raw", 2, "bytes", "optional"),
            ("content_encoding", 3, "string", "optional"),
            ("content_type", 4, "string", "optional"),
        ],
        "RawExtension": [("raw", 1, "bytes", "optional")],
    },
    META: {
        "Time": [("seconds", 1, "int64", "optional"), ("nanos", 2, "int32", "optional")],
        "MicroTime": [("seconds", 1, "int64", "optional"), ("nanos", 2, "int32", "optional")],
        "ListMeta": [
            ("resource_version", 2, "string", "optional"),
            ("continue_", 3, "string", "optional"),
            ("remaining_item_count", 4, "int64", "optional"),
        ],
        "OwnerReference": [
            ("kind", 1, "string", "optional"),
            ("name", 3, "string", "optional"),
            ("controller", 6, "bool", "optional"),
        ],
        "ObjectMeta": [
            ("name", 1, "string", "optional"),
            ("namespace", 3, "string", "optional"),
            ("uid", 5, "string", "optional"),
            ("resource_version", 6, "string", "optional"),
            ("creation_timestamp", 8, "Time", "optional"),
            ("deletion_timestamp", 9, "Time", "optional"),
            ("labels", 11, "string", "map"),
            ("annotations", 12, "string", "map"),
            ("owner_references", 13, "OwnerReference", "repeated"),
        ],
        "StatusDetails": [("retry_after_seconds", 5, "int32", "optional")],
        "Status": [
            ("status", 2, "string", "optional"),
            ("message", 3, "string", "optional"),
            ("reason", 4, "string", "optional"),
            ("code", 6, "int32", "optional"),
        ],
        "WatchEvent": [
            ("type", 1, "string", "optional"),
            ("object", 2, f".{RUNTIME}.RawExtension", "optional"),
        ],
        # any list, for its metadata alone (the items are skipped)
        "ListHead": [("metadata", 1, "ListMeta", "optional")],
        # a bookmark, an ERROR's Status or any object: only what every object has
        "PartialObject": [("metadata", 1, "ObjectMeta", "optional")],
    },
    CORE: {
        "ResourceRequirements": [("limits", 1, _Q, "map"), ("requests", 2, _Q, "map")],
        "ResourceFieldSelector": [
            ("container_name", 1, "string", "optional"),
            ("resource", 2, "string", "optional"),
            ("divisor", 3, _Q, "optional"),
        ],
        "EnvVarSource": [("resource_field_ref", 2, "ResourceFieldSelector", "optional")],
        "EnvVar": [
            ("name", 1, "string", "optional"),
            ("value", 2, "string", "optional"),
            ("value_from", 3, "EnvVarSource", "optional"),
        ],
        "VolumeMount": [("name", 1, "string", "optional")],
        "Container": [
            ("name", 1, "string", "optional"),
            ("image", 2, "string", "optional"),
            ("command", 3, "string", "repeated"),
            ("args", 4, "string", "repeated"),
            ("env", 7, "EnvVar", "repeated"),
            ("resources", 8, "ResourceRequirements", "optional"),
            ("volume_mounts", 9, "VolumeMount", "repeated"),
            ("restart_policy", 24, "string", "optional"),
        ],
        "EmptyDirVolumeSource": [("medium", 1, "string", "optional"), ("size_limit", 2, _Q, "optional")],
        "VolumeSource": [("empty_dir", 2, "EmptyDirVolumeSource", "optional")],
        "Volume": [("name", 1, "string", "optional"), ("volume_source", 2, "VolumeSource", "optional")],
        "PodSpec": [
            ("volumes", 1, "Volume", "repeated"),
            ("containers", 2, "Container", "repeated"),
            ("node_name", 10, "string", "optional"),
            ("init_containers", 20, "Container", "repeated"),
            ("priority_class_name", 24, "string", "optional"),
            ("priority", 25, "int32", "optional"),
            ("overhead", 32, _Q, "map"),
            ("resources", 40, "ResourceRequirements", "optional"),
        ],
        "ContainerStateWaiting": [("reason", 1, "string", "optional")],
        "ContainerStateRunning": [("started_at", 1, _TIME, "optional")],
        "ContainerStateTerminated": [
            ("exit_code", 1, "int32", "optional"),
            ("signal", 2, "int32", "optional"),
            ("reason", 3, "string", "optional"),
            ("message", 4, "string", "optional"),
            ("started_at", 5, _TIME, "optional"),
            ("finished_at", 6, _TIME, "optional"),
        ],
        "ContainerState": [
            ("waiting", 1, "ContainerStateWaiting", "optional"),
            ("running", 2, "ContainerStateRunning", "optional"),
            ("terminated", 3, "ContainerStateTerminated", "optional"),
        ],
        "ContainerStatus": [
            ("name", 1, "string", "optional"),
            ("state", 2, "ContainerState", "optional"),
            ("last_state", 3, "ContainerState", "optional"),
            ("ready", 4, "bool", "optional"),
            ("restart_count", 5, "int32", "optional"),
            ("container_id", 8, "string", "optional"),
        ],
        "PodStatus": [
            ("phase", 1, "string", "optional"),
            ("message", 3, "string", "optional"),
            ("reason", 4, "string", "optional"),
            ("start_time", 7, _TIME, "optional"),
            ("container_statuses", 8, "ContainerStatus", "repeated"),
            ("qos_class", 9, "string", "optional"),
            ("init_container_statuses", 10, "ContainerStatus", "repeated"),
        ],
        "Pod": [
            ("metadata", 1, f".{META}.ObjectMeta", "optional"),
            ("spec", 2, "PodSpec", "optional"),
            ("status", 3, "PodStatus", "optional"),
        ],
        "PodList": [("metadata", 1, f".{META}.ListMeta", "optional"), ("items", 2, "Pod", "repeated")],
        "NodeSpec": [("unschedulable", 4, "bool", "optional")],
        "NodeCondition": [("type", 1, "string", "optional"), ("status", 2, "string", "optional")],
        "NodeSystemInfo": [
            ("kernel_version", 4, "string", "optional"),
            ("container_runtime_version", 6, "string", "optional"),
        ],
        "NodeStatus": [
            ("capacity", 1, _Q, "map"),
            ("allocatable", 2, _Q, "map"),
            ("conditions", 4, "NodeCondition", "repeated"),
            ("node_info", 7, "NodeSystemInfo", "optional"),
        ],
        "Node": [
            ("metadata", 1, f".{META}.ObjectMeta", "optional"),
            ("spec", 2, "NodeSpec", "optional"),
            ("status", 3, "NodeStatus", "optional"),
        ],
        "NodeList": [("metadata", 1, f".{META}.ListMeta", "optional"), ("items", 2, "Node", "repeated")],
        "ObjectReference": [
            ("kind", 1, "string", "optional"),
            ("namespace", 2, "string", "optional"),
            ("name", 3, "string", "optional"),
            ("uid", 4, "string", "optional"),
            ("field_path", 7, "string", "optional"),
        ],
        "EventSource": [("component", 1, "string", "optional"), ("host", 2, "string", "optional")],
        "Event": [
            ("metadata", 1, f".{META}.ObjectMeta", "optional"),
            ("involved_object", 2, "ObjectReference", "optional"),
            ("reason", 3, "string", "optional"),
            ("message", 4, "string", "optional"),
            ("source", 5, "EventSource", "optional"),
            ("first_timestamp", 6, _TIME, "optional"),
            ("last_timestamp", 7, _TIME, "optional"),
            ("count", 8, "int32", "optional"),
            ("type", 9, "string", "optional"),
            ("event_time", 10, f".{META}.MicroTime", "optional"),
            ("reporting_component", 14, "string", "optional"),
        ],
        "EventList": [("metadata", 1, f".{META}.ListMeta", "optional"), ("items", 2, "Event", "repeated")],
    },
}
_DEPS = {RESOURCE: [], RUNTIME: [], META: [RUNTIME], CORE: [RESOURCE, META]}


def _camel(name: str) -> str:
    """The field's JSON name: container_id -> containerID, continue_ -> continue."""
    head, *rest = name.rstrip("_").split("_")
    return head + "".join("ID" if p == "id" else p.title() for p in rest)


# The schema becomes serialized FileDescriptorProtos, written by hand: google.protobuf's own
# descriptor_pb2 would cost more import time than the rest of the protobuf package together.


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append(n & 0x7F | 0x80)
        n >>= 7


def _bytes_field(number: int, data: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _str_field(number: int, text: str) -> bytes:
    return _bytes_field(number, text.encode())


def _int_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _field_proto(name: str, number: int, label: int, type_: str, package: str, json_name: str) -> bytes:
    """A FieldDescriptorProto: name 1, number 3, label 4, type 5, type_name 6, json_name 10."""
    out = _str_field(1, name) + _int_field(3, number) + _int_field(4, label)
    if type_ in _TYPES:
        out += _int_field(5, _TYPES[type_])
    else:
        type_name = type_ if type_.startswith(".") else f".{package}.{type_}"
        out += _int_field(5, _TYPE_MESSAGE) + _str_field(6, type_name)
    return out + _str_field(10, json_name)


def _file(package: str, schema: dict) -> bytes:
    """A FileDescriptorProto: name 1, package 2, dependency 3, message_type 4, syntax 12; a message is
    a DescriptorProto: name 1, field 2, nested_type 3, options 7 (MessageOptions.map_entry 7)."""
    out = _str_field(1, f"kubectl_mem/{package.replace('.', '/')}/slim.proto") + _str_field(2, package)
    for d in _DEPS[package]:
        out += _str_field(3, f"kubectl_mem/{d.replace('.', '/')}/slim.proto")
    for msg_name, fields in schema[package].items():
        msg = _str_field(1, msg_name)
        for name, number, type_, label in fields:
            if label == "map":
                entry_name = "".join(p.title() for p in name.split("_")) + "Entry"
                entry = _str_field(1, entry_name)
                entry += _bytes_field(2, _field_proto("key", 1, _LABEL_OPTIONAL, "string", package, "key"))
                entry += _bytes_field(2, _field_proto("value", 2, _LABEL_OPTIONAL, type_, package, "value"))
                entry += _bytes_field(7, _int_field(7, 1))
                msg += _bytes_field(3, entry)
                entry_type = f".{package}.{msg_name}.{entry_name}"
                field = _field_proto(name, number, _LABEL_REPEATED, entry_type, package, _camel(name))
            else:
                lab = _LABEL_REPEATED if label == "repeated" else _LABEL_OPTIONAL
                field = _field_proto(name, number, lab, type_, package, _camel(name))
            msg += _bytes_field(2, field)
        out += _bytes_field(4, msg)
    return out + _str_field(12, "proto2")


def build_pool(
    schema: dict[str, dict[str, list[tuple[str, int, str, str]]]],
) -> descriptor_pool.DescriptorPool:
    """A pool of its own (never the default one, which other users of `protobuf` share)."""
    pool = descriptor_pool.DescriptorPool()
    for pkg in (RESOURCE, RUNTIME, META, CORE):
        pool.AddSerializedFile(_file(pkg, schema))
    return pool


def message(full_name: str, pool: descriptor_pool.DescriptorPool | None = None) -> type:
    """The compiled message class of `package.Message`."""
    return message_factory.GetMessageClass((pool or _pool).FindMessageTypeByName(full_name))


_pool = build_pool(SCHEMA)
Unknown = message(f"{RUNTIME}.Unknown")
WatchEvent = message(f"{META}.WatchEvent")
Status = message(f"{META}.Status")
PartialObject = message(f"{META}.PartialObject")
ListHead = message(f"{META}.ListHead")
Pod = message(f"{CORE}.Pod")
PodList = message(f"{CORE}.PodList")
Node = message(f"{CORE}.Node")
NodeList = message(f"{CORE}.NodeList")
Event = message(f"{CORE}.Event")
EventList = message(f"{CORE}.EventList")


def parse(cls: type, data: bytes):
    """cls.FromString, with a corrupt message raised as the ValueError every decoder here raises."""
    try:
        return cls.FromString(data)
    except _DecodeError as e:
        raise ValueError(f"corrupt protobuf {cls.DESCRIPTOR.name}: {e}") from None


class NotProtobuf(ValueError):
    """The body does not start with the `k8s\\0` magic: the server answered in another format."""


def unwrap(body: bytes) -> tuple[str, bytes]:
    """(kind, raw object bytes) of a `k8s\\0` + runtime.Unknown envelope."""
    if not body.startswith(MAGIC):
        raise NotProtobuf("not a Kubernetes protobuf envelope (no k8s\\0 magic)")
    u = parse(Unknown, memoryview(body)[len(MAGIC) :])
    return u.type_meta.kind, u.raw


def wrap(api_version: str, kind: str, raw: bytes) -> bytes:
    """The envelope around `raw` (the simulated cluster and the tests use it)."""
    u = Unknown(raw=raw, content_type="")
    u.type_meta.api_version = api_version
    u.type_meta.kind = kind
    return MAGIC + u.SerializeToString()
