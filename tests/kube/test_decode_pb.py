"""Protobuf decoding gives the same records as the JSON path, field for field.

The simulated cluster encodes its objects with the official field numbers (and the bulky fields the
client skips); the real-API-server tests hold the same equality on a real kube-apiserver's bytes.
"""

from __future__ import annotations

import msgspec
import pytest

from kubectl_mem.kube import codecs, decode, decode_pb, pb
from kubectl_mem.kube.explain_fetch import events_page, events_page_pb
from kubectl_mem.sim import DEFAULT_NOW, demo_cluster, generate
from kubectl_mem.sim import protobuf as sim_pb


def _sorted_labels(p):
    # Go writes maps sorted by key; the simulated cluster's JSON keeps insertion order
    return msgspec.structs.replace(p, labels=tuple(sorted(p.labels)))


@pytest.fixture(scope="module")
def clusters():
    return [demo_cluster(now=DEFAULT_NOW), generate(seed=3, nodes=12, pods=400, now=DEFAULT_NOW)]


@pytest.mark.parametrize(
    ("resource", "kind", "json_one", "pb_one"),
    [
        ("pods", "Pod", decode.one_pod, decode_pb.one_pod),
        ("nodes", "Node", decode.one_node, decode_pb.one_node),
    ],
)
def test_every_object_decodes_to_the_json_record(clusters, resource, kind, json_one, pb_one):
    seen = 0
    for cluster in clusters:
        for e in cluster.snapshot(resource).entries:
            body = sim_pb.envelope("v1", kind, sim_pb.encode_object(kind, e.obj))
            assert pb_one(body) == _sorted_labels(json_one(e.raw)), e.key
            seen += 1
    assert seen >= (400 if resource == "pods" else 18)


def test_a_page_carries_its_list_metadata_and_the_items_in_order(clusters):
    entries = clusters[1].snapshot("pods").entries[:50]
    body = sim_pb.list_body(
        "v1",
        "PodList",
        {"resourceVersion": "4711", "continue": "tok", "remainingItemCount": 350},
        [sim_pb.encode_object("Pod", e.obj) for e in entries],
    )
    pods, meta = decode_pb.pods_page(body)
    assert [p.key for p in pods] == [e.key for e in entries]
    assert (meta.resource_version, meta.continue_, meta.remaining_item_count) == ("4711", "tok", 350)
    assert decode_pb.list_head(body).continue_ == "tok"
    last = sim_pb.list_body("v1", "PodList", {"resourceVersion": "4711"}, [])
    assert decode_pb.list_head(last).remaining_item_count is None


def test_omitempty_values_come_out_as_the_json_path_has_them():
    # Go's protobuf writes what JSON omits: "" for an unset env value, signal 0, an empty Time for a
    # zero time. The records must not tell the two encodings apart.
    p = pb.Pod()
    p.metadata.name, p.metadata.namespace = "x", "ns"
    p.metadata.creation_timestamp.SetInParent()  # zero time
    c = p.spec.containers.add(name="app", image="img")
    c.env.add(name="FROM_LIMIT", value="").value_from.resource_field_ref.resource = "limits.memory"
    c.env.add(name="EMPTY", value="")
    cs = p.status.container_statuses.add(name="app", restart_count=2)
    t = cs.last_state.terminated
    t.exit_code, t.signal, t.reason = 137, 0, "OOMKilled"
    t.started_at.SetInParent()
    t.finished_at.seconds = 1_700_000_000
    cs.state.running.started_at.seconds = 1_700_000_100
    rec = decode_pb.one_pod(pb.wrap("v1", "Pod", p.SerializeToString()))
    json_rec = decode.one_pod(
        msgspec.json.encode(
            {
                "metadata": {"name": "x", "namespace": "ns", "creationTimestamp": None},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "img",
                            "env": [
                                {
                                    "name": "FROM_LIMIT",
                                    "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}},
                                },
                                {"name": "EMPTY"},
                            ],
                        }
                    ]
                },
                "status": {
                    "containerStatuses": [
                        {
                            "name": "app",
                            "restartCount": 2,
                            "state": {"running": {"startedAt": "2023-11-14T22:15:00Z"}},
                            "lastState": {
                                "terminated": {
                                    "exitCode": 137,
                                    "reason": "OOMKilled",
                                    "startedAt": None,
                                    "finishedAt": "2023-11-14T22:13:20Z",
                                }
                            },
                        }
                    ]
                },
            }
        )
    )
    assert rec == json_rec
    assert rec.created is None and rec.statuses[0].last_termination.signal is None
    assert [e.value for e in rec.containers[0].env] == [None, None]


def test_unknown_fields_are_skipped():
    p = pb.Pod()
    p.metadata.name, p.metadata.namespace = "x", "ns"
    p.spec.node_name = "n1"
    raw = p.SerializeToString()
    # fields this client does not declare, as a newer server would send: a varint, a string, a message
    extra = (
        bytes([0xF8, 0x3E, 0x05]) + bytes([0x82, 0x3F, 0x03]) + b"abc" + bytes([0x8A, 0x3F, 0x02, 0x08, 0x01])
    )
    rec = decode_pb.one_pod(pb.wrap("v1", "Pod", raw + extra))
    assert (rec.name, rec.namespace, rec.node) == ("x", "ns", "n1")


def test_a_json_answer_to_a_protobuf_request_is_still_understood(clusters):
    # a proxy or an aggregated server may answer JSON whatever we asked
    entries = clusters[0].snapshot("pods").entries
    body = b'{"metadata":{"resourceVersion":"9"},"items":[' + b",".join(e.raw for e in entries) + b"]}"
    pods, meta = codecs.PODS["protobuf"].decode_page(body)
    assert len(pods) == len(entries) and meta.resource_version == "9"
    assert codecs.PODS["protobuf"].list_head(body).resource_version == "9"
    with pytest.raises(pb.NotProtobuf):
        decode_pb.pods_page(body)


def test_events_decode_like_the_json_path(clusters):
    cluster = clusters[0]
    entries = cluster.snapshot("events").entries
    assert entries
    json_events, _ = events_page(b'{"items":[' + b",".join(e.raw for e in entries) + b"]}")
    body = sim_pb.list_body(
        "v1", "EventList", {"resourceVersion": "1"}, [sim_pb.encode_object("Event", e.obj) for e in entries]
    )
    pb_events, _ = events_page_pb(body)
    assert pb_events == json_events


def test_event_time_is_used_when_there_is_no_last_timestamp():
    ev = pb.Event(reason="Killing", type="Warning")
    ev.involved_object.kind, ev.involved_object.name = "Pod", "web-1"
    ev.event_time.seconds, ev.event_time.nanos = 1_700_000_000, 123_456_000
    body = pb.wrap("v1", "EventList", pb.EventList(items=[ev]).SerializeToString())
    (rec,), _ = events_page_pb(body)
    assert rec.last_timestamp == "2023-11-14T22:13:20.123456Z" and rec.count == 1


def test_the_compiled_messages_carry_the_schema_numbers_and_json_names():
    from google.protobuf import descriptor_pb2  # only here: the runtime writes the descriptors by hand

    for package, messages in pb.SCHEMA.items():
        fd = descriptor_pb2.FileDescriptorProto.FromString(pb._file(package, pb.SCHEMA))
        assert fd.package == package and fd.syntax == "proto2"
        for name, fields in messages.items():
            d = pb._pool.FindMessageTypeByName(f"{package}.{name}")
            for field, number, _type, label in fields:
                f = d.fields_by_name[field]
                assert f.number == number, f"{name}.{field}"
                assert f.is_repeated == (label in ("repeated", "map"))
                if label == "map":
                    assert f.message_type.GetOptions().map_entry
    assert (
        pb.Pod.DESCRIPTOR.fields_by_name["spec"].message_type.fields_by_name["node_name"].json_name
        == "nodeName"
    )
    assert (
        pb.ListHead.DESCRIPTOR.fields_by_name["metadata"].message_type.fields_by_name["continue_"].json_name
        == "continue"
    )


def test_an_error_status_in_protobuf_keeps_the_servers_message():
    from kubectl_mem.errors import ForbiddenError
    from kubectl_mem.kube.http import status_error

    message = (
        'pods is forbidden: User "nobody" cannot list resource "pods" in API group "" at the cluster scope'
    )
    err = status_error(403, sim_pb.status_body(403, "Forbidden", message), "/api/v1/pods")
    assert isinstance(err, ForbiddenError) and err.message == message and err.reason == "Forbidden"
    assert status_error(500, pb.MAGIC + b"\xff\xff", "/api/v1/pods").code == 500  # corrupt: the status alone


def test_a_terminating_pod_is_deleting_in_both():
    from kubectl_mem.sim import make_pod

    pod = make_pod("going", "team-a", "node-1")
    pod["metadata"]["deletionTimestamp"] = "2026-01-01T10:00:00Z"
    pod["metadata"]["resourceVersion"] = "7"
    body = sim_pb.envelope("v1", "Pod", sim_pb.encode_object("Pod", pod))
    rec = decode_pb.one_pod(body)
    assert rec.deleting and rec == _sorted_labels(decode.one_pod(msgspec.json.encode(pod)))
