"""The simulated cluster's protobuf: its JSON objects encoded with the official field numbers.

The schema is the client's (`kube/pb.py`) plus the bulky fields a real server also sends and the client
skips (managedFields, conditions, tolerations, the spec's defaults), so pages weigh about what a real
apiserver's weigh and the client's decoder really has to skip them. Lists are built by concatenation:
a repeated field is its elements' bytes one after another, so each object is encoded once and cached.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from typing import Any

from kubectl_mem.kube import pb

_SIM_EXTRA: dict[str, dict[str, list[tuple[str, int, str, str]]]] = {
    pb.META: {
        "FieldsV1": [("raw", 1, "bytes", "optional")],
        "ManagedFieldsEntry": [
            ("manager", 1, "string", "optional"),
            ("operation", 2, "string", "optional"),
            ("api_version", 3, "string", "optional"),
            ("time", 4, "Time", "optional"),
            ("fields_type", 6, "string", "optional"),
            ("fields_v1", 7, "FieldsV1", "optional"),
            ("subresource", 8, "string", "optional"),
        ],
        "ObjectMeta": [
            ("generate_name", 2, "string", "optional"),
            ("generation", 7, "int64", "optional"),
            ("finalizers", 14, "string", "repeated"),
            ("managed_fields", 17, "ManagedFieldsEntry", "repeated"),
        ],
    },
    pb.CORE: {
        "Toleration": [
            ("key", 1, "string", "optional"),
            ("operator", 2, "string", "optional"),
            ("value", 3, "string", "optional"),
            ("effect", 4, "string", "optional"),
            ("toleration_seconds", 5, "int64", "optional"),
        ],
        "PodCondition": [
            ("type", 1, "string", "optional"),
            ("status", 2, "string", "optional"),
            ("last_probe_time", 3, f".{pb.META}.Time", "optional"),
            ("last_transition_time", 4, f".{pb.META}.Time", "optional"),
            ("reason", 5, "string", "optional"),
            ("message", 6, "string", "optional"),
        ],
        "Container": [
            ("working_dir", 5, "string", "optional"),
            ("termination_message_path", 13, "string", "optional"),
            ("image_pull_policy", 14, "string", "optional"),
            ("termination_message_policy", 20, "string", "optional"),
        ],
        "ContainerStatus": [
            ("image", 6, "string", "optional"),
            ("image_id", 7, "string", "optional"),
            ("started", 9, "bool", "optional"),
        ],
        "PodSpec": [
            ("restart_policy", 3, "string", "optional"),
            ("termination_grace_period_seconds", 4, "int64", "optional"),
            ("dns_policy", 6, "string", "optional"),
            ("node_selector", 7, "string", "map"),
            ("service_account_name", 8, "string", "optional"),
            ("service_account", 9, "string", "optional"),
            ("host_network", 11, "bool", "optional"),
            ("scheduler_name", 19, "string", "optional"),
            ("tolerations", 22, "Toleration", "repeated"),
            ("enable_service_links", 30, "bool", "optional"),
            ("preemption_policy", 31, "string", "optional"),
        ],
        "PodStatus": [
            ("conditions", 2, "PodCondition", "repeated"),
            ("host_ip", 5, "string", "optional"),
            ("pod_ip", 6, "string", "optional"),
        ],
        "NodeAddress": [("type", 1, "string", "optional"), ("address", 2, "string", "optional")],
        "NodeSpec": [("pod_cidr", 1, "string", "optional"), ("provider_id", 3, "string", "optional")],
        "NodeStatus": [("addresses", 5, "NodeAddress", "repeated")],
        "NodeSystemInfo": [
            ("machine_id", 1, "string", "optional"),
            ("system_uuid", 2, "string", "optional"),
            ("boot_id", 3, "string", "optional"),
            ("os_image", 5, "string", "optional"),
            ("kubelet_version", 7, "string", "optional"),
            ("operating_system", 9, "string", "optional"),
            ("architecture", 10, "string", "optional"),
        ],
    },
}


def _schema() -> dict[str, dict[str, list[tuple[str, int, str, str]]]]:
    schema = copy.deepcopy(pb.SCHEMA)
    for pkg, messages in _SIM_EXTRA.items():
        for name, fields in messages.items():
            schema[pkg].setdefault(name, []).extend(fields)
    return schema


_pool = pb.build_pool(_schema())
_CLASSES = {
    "Pod": pb.message(f"{pb.CORE}.Pod", _pool),
    "Node": pb.message(f"{pb.CORE}.Node", _pool),
    "Event": pb.message(f"{pb.CORE}.Event", _pool),
    "Status": pb.message(f"{pb.META}.Status", _pool),
}
KINDS = frozenset(k for k in _CLASSES if k != "Status")
_JSON_NAMES = {"image_id": "imageID", "system_uuid": "systemUUID", "pod_cidr": "podCIDR", "host_ip": "hostIP"}
_JSON_NAMES |= {
    "pod_ip": "podIP",
    "provider_id": "providerID",
    "boot_id": "bootID",
    "machine_id": "machineID",
}


def _time(t, value: str) -> None:
    at = dt.datetime.fromisoformat(value)
    t.seconds = int(at.timestamp())
    if at.microsecond:
        t.nanos = at.microsecond * 1000


def _fill(msg, obj: dict[str, Any]) -> None:
    import json

    for f in msg.DESCRIPTOR.fields:
        if f.name == "volume_source":  # inlined in the Volume in JSON
            _fill(msg.volume_source, obj)
            continue
        value = obj.get(_JSON_NAMES.get(f.name, f.json_name))
        if value is None:
            continue
        mt = f.message_type
        if mt is not None and mt.GetOptions().map_entry:
            target = getattr(msg, f.name)
            quantity = mt.fields_by_name["value"].message_type is not None
            for k, v in value.items():
                if quantity:
                    target[k].string = str(v)
                else:
                    target[k] = v
        elif f.is_repeated:
            target = getattr(msg, f.name)
            if mt is None:
                target.extend(value)
            else:
                for item in value:
                    _fill(target.add(), item)
        elif mt is not None:
            sub = getattr(msg, f.name)
            sub.SetInParent()
            if mt.name == "Quantity":
                sub.string = str(value)
            elif mt.name in ("Time", "MicroTime"):
                _time(sub, value)
            elif mt.name == "FieldsV1":
                sub.raw = json.dumps(value, separators=(",", ":")).encode()
            else:
                _fill(sub, value)
        else:
            setattr(msg, f.name, value)


def encode_object(kind: str, obj: dict[str, Any]) -> bytes:
    """The bare message of one object (no envelope): what a list's items and a watch event hold."""
    msg = _CLASSES[kind]()
    _fill(msg, obj)
    return msg.SerializeToString()


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number: int, data: bytes) -> bytes:
    """A length-delimited field."""
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    return pb.wrap(api_version, kind, raw)


def list_body(api_version: str, list_kind: str, meta: dict[str, Any], items: list[bytes]) -> bytes:
    """A `k8s\\0` envelope around {metadata: ListMeta, items: [...]}, items given already encoded."""
    lm = pb.message(f"{pb.META}.ListMeta")()
    lm.resource_version = meta.get("resourceVersion", "")
    if meta.get("continue"):
        lm.continue_ = meta["continue"]
    if meta.get("remainingItemCount") is not None:
        lm.remaining_item_count = meta["remainingItemCount"]
    raw = _field(1, lm.SerializeToString()) + b"".join(_field(2, i) for i in items)
    return envelope(api_version, list_kind, raw)


def status_body(code: int, reason: str, message: str) -> bytes:
    st = _CLASSES["Status"](status="Failure", message=message, reason=reason, code=code)
    return envelope("v1", "Status", st.SerializeToString())


def watch_frame(type_: str, object_envelope: bytes) -> bytes:
    """One length-delimited frame of a protobuf watch stream."""
    ev = pb.WatchEvent(type=type_)
    ev.object.raw = object_envelope
    data = ev.SerializeToString()
    return len(data).to_bytes(4, "big") + data


class Cache:
    """Encoded objects by their JSON bytes (an object's bytes change whenever it does)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[bytes, bytes] = {}

    def get(self, kind: str, raw: bytes, obj: dict[str, Any]) -> bytes:
        hit = self._items.get(raw)
        if hit is None:
            hit = encode_object(kind, obj)
            with self._lock:
                if len(self._items) > 200_000:
                    self._items.clear()
                self._items[raw] = hit
        return hit
