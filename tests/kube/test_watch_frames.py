"""Watch stream framing: events arrive in arbitrary pieces (TCP, TLS records, HTTP chunks)."""

from __future__ import annotations

import pytest

from kubectl_mem.kube import decode, decode_pb, pb, watch
from kubectl_mem.sim import DEFAULT_NOW, demo_cluster
from kubectl_mem.sim import protobuf as sim_pb


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.fixture(scope="module")
def pods():
    return demo_cluster(now=DEFAULT_NOW).snapshot("pods").entries[:5]


def _bookmark_json(rv: str, end: bool) -> bytes:
    ann = ',"annotations":{"k8s.io/initial-events-end":"true"}' if end else ""
    return (
        b'{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"'
        + rv.encode()
        + b'"'
        + ann.encode()
        + b'},"spec":{"containers":null},"status":{}}}\n'
    )


@pytest.mark.parametrize("size", [1, 7, 100, 1 << 20])
def test_json_events_in_any_pieces(pods, size):
    stream = b"".join(b'{"type":"ADDED","object":' + e.raw + b"}\n" for e in pods)
    stream += b'{"type":"DELETED","object":' + pods[0].raw + b"}\n" + _bookmark_json("77", True)
    stream += b'{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
    stream += b'"message":"too old resource version: 1 (50)","reason":"Expired","code":410}}\n'
    evs = list(watch._json_events(watch._lines(iter(_pieces(stream, size))), decode.pod_event))
    assert [e.type for e in evs] == ["ADDED"] * 5 + ["DELETED", "BOOKMARK", "ERROR"]
    assert [e.obj.key for e in evs[:5]] == [p.key for p in pods]
    assert evs[0].resource_version == pods[0].obj["metadata"]["resourceVersion"]
    assert evs[6].initial_events_end and evs[6].resource_version == "77"
    assert (evs[7].code, evs[7].reason) == (410, "Expired")


@pytest.mark.parametrize("size", [1, 5, 333, 1 << 20])
def test_protobuf_frames_in_any_pieces(pods, size):
    def envelope(e):
        return sim_pb.envelope("v1", "Pod", sim_pb.encode_object("Pod", e.obj))

    bookmark = pb.PartialObject()
    bookmark.metadata.resource_version = "77"
    bookmark.metadata.annotations[watch.INITIAL_EVENTS_END] = "true"
    stream = b"".join(sim_pb.watch_frame("ADDED", envelope(e)) for e in pods)
    stream += sim_pb.watch_frame("MODIFIED", envelope(pods[1]))
    stream += sim_pb.watch_frame("BOOKMARK", pb.wrap("v1", "Pod", bookmark.SerializeToString()))
    stream += sim_pb.watch_frame("ERROR", sim_pb.status_body(410, "Expired", "too old resource version"))
    evs = list(watch._pb_events(watch._frames(iter(_pieces(stream, size))), decode_pb.pod_event))
    assert [e.type for e in evs] == ["ADDED"] * 5 + ["MODIFIED", "BOOKMARK", "ERROR"]
    assert [e.obj.key for e in evs[:5]] == [p.key for p in pods]
    assert evs[5].resource_version == pods[1].obj["metadata"]["resourceVersion"]
    assert evs[6].initial_events_end and evs[6].resource_version == "77"
    assert (evs[7].code, evs[7].reason) == (410, "Expired")


def test_a_stream_cut_inside_a_frame_is_an_error(pods):
    frame = sim_pb.watch_frame(
        "ADDED", sim_pb.envelope("v1", "Pod", sim_pb.encode_object("Pod", pods[0].obj))
    )
    with pytest.raises(ValueError, match="inside a frame"):
        list(watch._frames(iter([frame[:-3]])))
