"""The simulated cluster's watch, streaming lists and protobuf, as the real kube-apiserver serves them
(tests/apiserver holds the client to the same behaviour on a real server)."""

from __future__ import annotations

import time

import msgspec
import pytest
from sim_helpers import get
from watch_helpers import next_events

from kubectl_mem.errors import ApiError, GoneError
from kubectl_mem.kube import codecs, decode, decode_pb, pb, watch
from kubectl_mem.kube.config import connect
from kubectl_mem.kube.http import Transport
from kubectl_mem.kube.protocol import PROTOCOLS
from kubectl_mem.sim import make_pod


@pytest.fixture
def transport(sim):
    conn = connect(kubeconfig=str(sim.kubeconfig))
    yield Transport(conn, sleep=lambda s: None)
    conn.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_streaming_list_sends_every_object_then_the_end_bookmark(sim, transport, protocol):
    items, rv, w = watch.stream_list(transport, "/api/v1/pods", [], codecs.PODS[protocol])
    w.close()
    paged = decode.pods_page(get(sim, "/api/v1/pods").body)[0]
    assert sorted(p.key for p in items) == sorted(p.key for p in paged)
    assert int(rv) == sim.cluster.snapshot("pods").rv and transport.streaming_lists is True
    (req,) = [r for r in sim.requests if r.query.get("watch") == "1"]
    assert req.query["sendInitialEvents"] == "true" and req.query["resourceVersionMatch"] == "NotOlderThan"


def test_a_server_without_streaming_lists_is_remembered_for_the_connection(sim, transport):
    sim.faults.watch_list = False
    for _ in range(2):
        items, rv = watch.list_objects(transport, "/api/v1/pods", [], codecs.PODS["protobuf"])
        assert len(items) == len(sim.cluster.list("pods")) and rv
    watches = [r for r in sim.requests if r.query.get("watch") == "1"]
    assert [r.status for r in watches] == [422]  # tried once, then paginated LISTs only
    assert transport.streaming_lists is False


def test_protobuf_lists_and_json_lists_give_the_same_records(sim):
    for path, page_json, page_pb in (
        ("/api/v1/pods", decode.pods_page, decode_pb.pods_page),
        ("/api/v1/nodes", decode.nodes_page, decode_pb.nodes_page),
    ):
        reply = get(sim, path + "?limit=7", headers={"Accept": codecs.PROTOBUF_FIRST})
        assert reply.headers["content-type"] == pb.CONTENT_TYPE and reply.body[:4] == pb.MAGIC
        via_pb, meta = page_pb(reply.body)
        via_json, json_meta = page_json(get(sim, path + "?limit=7").body)
        # Go writes maps sorted by key; the simulated cluster's JSON keeps insertion order
        assert via_pb == [msgspec.structs.replace(x, labels=tuple(sorted(x.labels))) for x in via_json]
        assert meta.resource_version == json_meta.resource_version and bool(meta.continue_) == bool(
            json_meta.continue_
        )
    # metrics.k8s.io is JSON only, whatever the client asks
    reply = get(sim, "/apis/metrics.k8s.io/v1beta1/pods", headers={"Accept": codecs.PROTOBUF_FIRST})
    assert reply.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_watch_sends_changes_after_its_resource_version_with_bookmarks(sim, transport, protocol):
    sim.bookmark_seconds = 0.2
    rv = str(sim.cluster.snapshot("pods").rv)
    ns = "team-search"  # the scenario's showcase namespace: never empty
    w = watch.Watch(transport, f"/api/v1/namespaces/{ns}/pods", [], codecs.PODS[protocol], rv)
    victim = next(p for p in sim.cluster.list("pods") if p["metadata"]["namespace"] == ns)
    sim.cluster.delete("pods", victim["metadata"]["name"], ns)
    sim.cluster.add_pod(make_pod("elsewhere", "team-identity", "node-1"))  # not in the watched namespace
    sim.cluster.add_pod(make_pod("fresh", ns, "node-1"))
    evs = next_events(w, 3, lambda e: e.type == "BOOKMARK" and int(e.resource_version) >= int(rv) + 3)
    w.close()
    kinds = [(e.type, e.obj.name if e.obj else "") for e in evs if e.type != "BOOKMARK"]
    assert kinds == [("DELETED", victim["metadata"]["name"]), ("ADDED", "fresh")]
    deleted_rv = int(evs[0].resource_version)
    assert deleted_rv > int(victim["metadata"]["resourceVersion"])  # the deletion's own resourceVersion
    assert evs[-1].type == "BOOKMARK"


def test_a_watch_from_a_forgotten_resource_version_gets_410(sim, transport):
    rv = str(sim.cluster.snapshot("pods").rv)
    sim.cluster.compact()
    w = watch.Watch(transport, "/api/v1/pods", [], codecs.PODS["protobuf"], rv)
    (ev,) = next_events(w, 1, lambda e: e.type == "ERROR")
    assert (ev.code, ev.reason) == (410, "Expired") and "too old resource version" in ev.message


def test_watch_parameters_are_validated_as_the_apiserver_does(sim, transport):
    with pytest.raises(ApiError, match="resourceVersionMatch is forbidden for watch") as e:
        transport.stream(
            "/api/v1/pods",
            [("watch", "1"), ("resourceVersionMatch", "NotOlderThan")],
            accept="*/*",
            read_timeout=5,
        )
    assert e.value.code == 422
    with pytest.raises(ApiError) as e:
        transport.stream("/apis/metrics.k8s.io/v1beta1/pods", [("watch", "1")], accept="*/*", read_timeout=5)
    assert e.value.code == 405
    assert not isinstance(e.value, GoneError)


def test_a_watch_ends_at_its_timeout_and_a_closed_client_frees_the_server(sim, transport):
    w = watch.Watch(
        transport,
        "/api/v1/nodes",
        [],
        codecs.NODES["json"],
        str(sim.cluster.resource_version),
        timeout_seconds=1,
    )
    t0 = time.monotonic()
    assert list(w) == []  # nothing changed; the server ends it after timeoutSeconds
    assert 0.9 < time.monotonic() - t0 < 60  # not before its timeout; and it does end (no hang)
