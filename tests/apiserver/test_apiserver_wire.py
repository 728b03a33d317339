"""Protobuf, streaming lists and watches on a real kube-apiserver (v1.36, tests/envtest).

The objects are made through real admission, with the fields the decoders read set in every form
(init containers, a sidecar, downward-API env, a memory emptyDir, owners, labels in no order, a
container's OOM kill written by a status update as the kubelet writes it).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator

import pytest
from envtest import ControlPlane

from kubectl_mem.kube import codecs, decode, decode_pb, pb
from kubectl_mem.kube.config import connect
from kubectl_mem.kube.http import Transport
from kubectl_mem.kube.watch import Reflector, list_objects

pytestmark = pytest.mark.apiserver

NS = "wire-test"
NODES = ("wire-node-1", "wire-node-2")


def _pod(name: str, node: str, **extra) -> dict:
    app = {
        "name": "app",
        "image": "registry.example/app:1",
        "command": ["/app", "--serve"],
        "args": ["--port", "8080"],
        "env": [
            {"name": "GOMEMLIMIT", "value": "200MiB"},
            {"name": "LIMIT", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}}},
            {"name": "EMPTY", "value": ""},
        ],
        "resources": {"requests": {"memory": "128Mi", "cpu": "100m"}, "limits": {"memory": "256Mi"}},
        "volumeMounts": [{"name": "shm", "mountPath": "/dev/shm"}, {"name": "data", "mountPath": "/data"}],
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "labels": {"tier": "web", "app": name, "zone": "b"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": f"{name}-rs",
                    "uid": "0-0-0-0-1",
                    "controller": True,
                }
            ],
        },
        "spec": {
            "nodeName": node,
            "initContainers": [
                {
                    "name": "migrate",
                    "image": "registry.example/migrate:1",
                    "resources": {"limits": {"memory": "64Mi"}},
                },
                {"name": "proxy", "image": "registry.example/proxy:1", "restartPolicy": "Always"},
            ],
            "containers": [app],
            "volumes": [
                {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
                {"name": "data", "emptyDir": {}},
            ],
        },
    }
    pod["spec"].update(extra)
    return pod


def _status_with_oom_kill(pod: dict, restarts: int) -> dict:
    """What a kubelet writes after the app container was OOM-killed `restarts` times."""
    new = copy.deepcopy(pod)
    term = {
        "exitCode": 137,
        "reason": "OOMKilled",
        "startedAt": "2026-01-01T10:00:00Z",
        "finishedAt": "2026-01-01T10:07:00Z",
        "containerID": "containerd://abc",
    }
    new["status"] = {
        "phase": "Running",
        "startTime": "2026-01-01T09:59:00Z",
        "initContainerStatuses": [
            {
                "name": "migrate",
                "image": "registry.example/migrate:1",
                "imageID": "",
                "ready": False,
                "restartCount": 0,
                "state": {
                    "terminated": {"exitCode": 0, "reason": "Completed", "finishedAt": "2026-01-01T09:59:30Z"}
                },
            },
            {
                "name": "proxy",
                "image": "registry.example/proxy:1",
                "imageID": "",
                "ready": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": "2026-01-01T09:59:31Z"}},
            },
        ],
        "containerStatuses": [
            {
                "name": "app",
                "image": "registry.example/app:1",
                "imageID": "",
                "containerID": "containerd://def",
                "ready": True,
                "restartCount": restarts,
                "state": {"running": {"startedAt": "2026-01-01T10:07:05Z"}},
                "lastState": {"terminated": term} if restarts else {},
            }
        ],
    }
    return new


def _node(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "b": "2", "a": "1"}},
        "spec": {"unschedulable": name.endswith("2")},
        "status": {
            "capacity": {"memory": "16Gi", "cpu": "4", "pods": "110"},
            "allocatable": {"memory": "15Gi", "cpu": "4", "pods": "110"},
            "conditions": [
                {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory"},
                {"type": "Ready", "status": "True", "reason": "KubeletReady"},
            ],
            "nodeInfo": {
                "kernelVersion": "6.8.0",
                "containerRuntimeVersion": "containerd://2.0.0",
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
                "osImage": "",
                "kubeletVersion": "v1.36.2",
                "kubeProxyVersion": "",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def _put_status(cp: ControlPlane, pod: dict) -> None:
    name = pod["metadata"]["name"]
    path = f"/api/v1/namespaces/{NS}/pods/{name}"
    status, _, body = cp.request("GET", path)
    assert status == 200, body
    current = json.loads(body)
    current["status"] = pod["status"]
    status, _, body = cp.request("PUT", path + "/status", current)
    assert status == 200, body[:300]


@pytest.fixture(scope="module")
def cluster(control_plane: ControlPlane) -> Iterator[ControlPlane]:
    cp = control_plane
    cp.create_namespace(NS)
    for n in NODES:
        cp.apply("/api/v1/nodes", _node(n))
    for i in range(6):
        pod = cp.apply(f"/api/v1/namespaces/{NS}/pods", _pod(f"web-{i}", NODES[i % 2]))
        if i % 2 == 0:
            _put_status(cp, _status_with_oom_kill(pod, restarts=i))
    yield cp
    # no namespace controller runs here: the pods go first, or they outlive their namespace
    status, _, body = cp.request("GET", f"/api/v1/namespaces/{NS}/pods")
    for p in json.loads(body)["items"] if status == 200 else ():
        cp.request("DELETE", f"/api/v1/namespaces/{NS}/pods/{p['metadata']['name']}?gracePeriodSeconds=0")
    for n in NODES:
        cp.request("DELETE", f"/api/v1/nodes/{n}")
    cp.request("DELETE", f"/api/v1/namespaces/{NS}")


@pytest.fixture
def transport(cluster: ControlPlane) -> Iterator[Transport]:
    conn = connect(kubeconfig=str(cluster.kubeconfig()))
    yield Transport(conn)
    conn.close()


def _get(cp: ControlPlane, path: str, accept: str) -> bytes:
    status, headers, body = cp.request("GET", path, headers={"Accept": accept})
    assert status == 200, body[:300]
    return body


@pytest.mark.parametrize(
    ("path", "page_json", "page_pb"),
    [
        (f"/api/v1/namespaces/{NS}/pods", decode.pods_page, decode_pb.pods_page),
        ("/api/v1/nodes?fieldSelector=metadata.name%3Dwire-node-1", decode.nodes_page, decode_pb.nodes_page),
        ("/api/v1/nodes?fieldSelector=metadata.name%3Dwire-node-2", decode.nodes_page, decode_pb.nodes_page),
    ],
)
def test_protobuf_lists_decode_to_the_json_records(cluster, path, page_json, page_pb):
    via_json, json_meta = page_json(_get(cluster, path, "application/json"))
    # a list's resourceVersion is the store's revision when it was read, and any write moves it
    # (kube-apiserver renews its own lease every 10 s): the protobuf list is read at exactly the
    # JSON one's revision, so both say the same
    sep = "&" if "?" in path else "?"
    exact = f"{path}{sep}resourceVersion={json_meta.resource_version}&resourceVersionMatch=Exact"
    body = _get(cluster, exact, codecs.PROTOBUF_FIRST)
    assert body[:4] == pb.MAGIC  # the server did answer protobuf
    via_pb, meta = page_pb(body)
    assert via_pb and via_pb == via_json
    assert meta.resource_version == json_meta.resource_version


def test_one_pod_in_protobuf_is_the_json_record(cluster):
    path = f"/api/v1/namespaces/{NS}/pods/web-4"
    pod = decode_pb.one_pod(_get(cluster, path, codecs.PROTOBUF_FIRST))
    assert pod == decode.one_pod(_get(cluster, path, "application/json"))
    # what the status update wrote, read back from protobuf
    app = next(s for s in pod.statuses if s.name == "app")
    assert app.restart_count == 4 and app.last_termination.reason == "OOMKilled"
    assert app.last_termination.signal is None and app.last_termination.exit_code == 137
    kinds = {c.name: c.kind for c in pod.containers}
    assert kinds == {"migrate": "init", "proxy": "sidecar", "app": "regular"}
    assert [v.name for v in pod.memory_volumes] == ["shm"] and pod.memory_volumes[0].size_limit == 64 << 20
    env = {e.name: e for e in pod.containers[-1].env}
    assert env["LIMIT"].resource_field == "limits.memory" and env["EMPTY"].value is None


def test_a_terminating_pod_reads_the_same_in_protobuf(cluster):
    pod = _pod("held", NODES[0])
    pod["metadata"]["finalizers"] = ["wire.test/hold"]  # keeps it Terminating after the DELETE
    cluster.apply(f"/api/v1/namespaces/{NS}/pods", pod)
    path = f"/api/v1/namespaces/{NS}/pods/held"
    try:
        cluster.request("DELETE", path)
        via_pb = decode_pb.one_pod(_get(cluster, path, codecs.PROTOBUF_FIRST))
        assert via_pb.deleting and via_pb == decode.one_pod(_get(cluster, path, "application/json"))
    finally:
        patch = json.dumps({"metadata": {"finalizers": None}}).encode()
        cluster.request("PATCH", path, patch, content_type="application/merge-patch+json")
        cluster.request("DELETE", path + "?gracePeriodSeconds=0")


@pytest.mark.parametrize("protocol", ["json", "protobuf"])
def test_streaming_lists_are_offered_and_equal_the_paged_list(cluster, transport, protocol):
    path = f"/api/v1/namespaces/{NS}/pods"
    streamed, rv = list_objects(transport, path, [], codecs.PODS[protocol])
    assert transport.streaming_lists is True and rv
    paged, _ = list_objects(transport, path, [], codecs.PODS[protocol], streaming=False)
    assert sorted(streamed, key=lambda p: p.key) == sorted(paged, key=lambda p: p.key)
    assert len(streamed) == 6


def _eventually(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.mark.parametrize("protocol", ["json", "protobuf"])
def test_a_watch_sees_a_deletion_and_an_oom_kill_without_listing_again(cluster, transport, protocol):
    name = f"watched-{protocol}"
    pod = cluster.apply(f"/api/v1/namespaces/{NS}/pods", _pod(name, NODES[0]))
    r = Reflector(transport, f"/api/v1/namespaces/{NS}/pods", [], codecs.PODS[protocol], key=lambda p: p.key)
    r.start()
    try:
        assert r.wait_synced(20)
        requests = transport.requests
        _put_status(cluster, _status_with_oom_kill(pod, restarts=1))
        cluster.request("DELETE", f"/api/v1/namespaces/{NS}/pods/web-1?gracePeriodSeconds=0")
        _eventually(lambda: f"{NS}/web-1" not in {p.key for p in r.items()})
        _eventually(
            lambda: any(
                p.name == name and p.statuses and p.statuses[-1].restart_count == 1 for p in r.items()
            )
        )
        watched = next(p for p in r.items() if p.name == name)
        assert watched.statuses[-1].last_termination.reason == "OOMKilled"
        assert transport.requests == requests  # no new request: the first one goes on as the watch
        assert r.lists == 1 and r.state.relists == 0 and r.state.connected
    finally:
        r.stop()
        cluster.apply(f"/api/v1/namespaces/{NS}/pods", _pod("web-1", NODES[1]))
        cluster.request("DELETE", f"/api/v1/namespaces/{NS}/pods/{name}?gracePeriodSeconds=0")


async def _settle(pilot) -> None:
    for _ in range(2):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def test_the_view_shows_changes_at_the_next_refresh_without_listing_again(cluster, monkeypatch):
    from kubectl_mem.kube.snapshot_source import SnapshotSource
    from kubectl_mem.tui.app import make_app
    from kubectl_mem.tui.config import Settings

    source = SnapshotSource(kubeconfig=str(cluster.kubeconfig()), namespace=NS)
    app = make_app(source, Settings(refresh=3600))
    async with app.run_test(size=(160, 48)) as pilot:
        await _settle(pilot)
        shown = {p.pod.name for p in app.data.fetched.loaded.shown}
        assert {"web-0", "web-3"} <= shown
        live = app.refresher.source._live
        _eventually(lambda: live.state().watching)  # every watch is open: what follows is the refresh's
        asked: list[str] = []  # what the refresh asks the server for (every Transport)
        request, stream = Transport.request, Transport.stream

        def recorded_request(self, method, path, params=(), **kw):
            asked.append(f"{method} {path}")
            return request(self, method, path, params, **kw)

        def recorded_stream(self, path, params=(), **kw):
            asked.append(f"WATCH {path}")
            return stream(self, path, params, **kw)

        monkeypatch.setattr(Transport, "request", recorded_request)
        monkeypatch.setattr(Transport, "stream", recorded_stream)
        cluster.request("DELETE", f"/api/v1/namespaces/{NS}/pods/web-3?gracePeriodSeconds=0")
        pod = json.loads(cluster.request("GET", f"/api/v1/namespaces/{NS}/pods/web-2")[2])
        _put_status(cluster, _status_with_oom_kill(pod, restarts=7))
        _eventually(lambda: live.state().events >= 2)
        app.refresher.tick()
        await _settle(pilot)
        views = {p.pod.name: p for p in app.data.fetched.loaded.shown}
        assert "web-3" not in views
        app_status = next(s for s in views["web-2"].pod.statuses if s.name == "app")
        assert app_status.restart_count == 7 and app_status.last_termination.reason == "OOMKilled"
        # metrics, PriorityClasses (and, without metrics, the kubelets' Summary API): no pod or node list
        assert "GET /apis/scheduling.k8s.io/v1/priorityclasses" in asked
        core = [
            a
            for a in asked
            if a.split()[1] in (f"/api/v1/namespaces/{NS}/pods", "/api/v1/pods", "/api/v1/nodes")
        ]
        assert core == []
        assert live.state().relists == 0
    cluster.apply(f"/api/v1/namespaces/{NS}/pods", _pod("web-3", NODES[1]))


def test_errors_answered_in_protobuf_keep_the_servers_message(cluster):
    from kubectl_mem.errors import ForbiddenError
    from kubectl_mem.kube.fetch import Wire, list_records

    conn = connect(kubeconfig=str(cluster.kubeconfig("nobody")))
    try:
        with pytest.raises(ForbiddenError) as e:
            list_records(Transport(conn), "/api/v1/pods", codecs.PODS["protobuf"], Wire(streaming=False))
        assert 'User "nobody" cannot list resource "pods"' in e.value.message
    finally:
        conn.close()
