"""How pods and nodes travel: JSON or protobuf, one `Codec` per resource and protocol.

Protobuf is asked for as kubectl and client-go ask for it (`application/vnd.kubernetes.protobuf`,
with `application/json` as the second choice); every decoder looks at the body it got, so a server
or proxy that answers JSON anyway is still understood. metrics.k8s.io is served by metrics-server,
which speaks JSON only: its lists never go through a protobuf codec.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from kubectl_mem.kube import decode, decode_pb, pb, wire
from kubectl_mem.kube.protocol import Protocol

JSON = "application/json"
PROTOBUF_FIRST = f"{pb.CONTENT_TYPE},{JSON}"


class _Head(msgspec.Struct):
    metadata: wire.ListMeta = msgspec.field(default_factory=wire.ListMeta)


_json_head = msgspec.json.Decoder(_Head)


def _either(proto: Callable[[bytes], Any], json: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def decode_body(body: bytes) -> Any:
        return proto(body) if body[:4] == pb.MAGIC else json(body)

    return decode_body


@dataclass(frozen=True)
class Codec:
    protocol: Protocol
    accept: str
    decode_page: Callable[[bytes], tuple[list[Any], wire.ListMeta]]
    decode_one: Callable[[bytes], Any]
    list_head: Callable[[bytes], wire.ListMeta]
    decode_event: Callable[[bytes], tuple[Any, str]]  # a watch event's object: (record, resourceVersion)

    @property
    def watch_accept(self) -> str:
        # the stream's own media type: length-delimited protobuf frames, or JSON objects one a line
        return f"{pb.CONTENT_TYPE};stream=watch,{JSON}" if self.protocol == "protobuf" else JSON


def _json_list_head(body: bytes) -> wire.ListMeta:
    return _json_head.decode(body).metadata


_JSON_HEAD = _json_list_head
_PB_HEAD = _either(decode_pb.list_head, _json_list_head)

PODS: dict[Protocol, Codec] = {
    "json": Codec("json", JSON, decode.pods_page, decode.one_pod, _JSON_HEAD, decode.pod_event),
    "protobuf": Codec(
        "protobuf",
        PROTOBUF_FIRST,
        _either(decode_pb.pods_page, decode.pods_page),
        _either(decode_pb.one_pod, decode.one_pod),
        _PB_HEAD,
        _either(decode_pb.pod_event, decode.pod_event),
    ),
}
NODES: dict[Protocol, Codec] = {
    "json": Codec("json", JSON, decode.nodes_page, decode.one_node, _JSON_HEAD, decode.node_event),
    "protobuf": Codec(
        "protobuf",
        PROTOBUF_FIRST,
        _either(decode_pb.nodes_page, decode.nodes_page),
        _either(decode_pb.one_node, decode.one_node),
        _PB_HEAD,
        _either(decode_pb.node_event, decode.node_event),
    ),
}
