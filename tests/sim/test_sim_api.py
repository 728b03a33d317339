"""The HTTP API itself: pagination, continue expiry, selectors, errors, auth, gzip, faults, summary."""

from __future__ import annotations

import base64
import json
import time

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from sim_helpers import SimFactory, connect, get

from kubectl_mem.sim import (
    DEFAULT_NOW,
    Auth,
    Cluster,
    ContainerUsage,
    Faults,
    Rule,
    SimServer,
    generate,
    make_container,
    make_node,
    make_pod,
)


@pytest.fixture(scope="module")
def big_cluster() -> Cluster:
    return generate(seed=11, nodes=10, pods=1234, now=DEFAULT_NOW)


def core(srv: SimServer) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(config_file=str(srv.kubeconfig)))


def test_python_client_paginates_with_constant_resource_version(sim_factory: SimFactory, big_cluster) -> None:
    srv = sim_factory(big_cluster)
    api = core(srv)
    names: list[str] = []
    rvs: set[str] = set()
    remaining: list[int | None] = []
    token = None
    while True:
        page = api.list_pod_for_all_namespaces(limit=300, _continue=token)
        names += [f"{p.metadata.namespace}/{p.metadata.name}" for p in page.items]
        rvs.add(page.metadata.resource_version)
        remaining.append(page.metadata.remaining_item_count)
        token = page.metadata._continue
        if not token:
            break
    assert len(names) == 1234 and names == sorted(names)  # etcd key order
    assert len(rvs) == 1
    assert remaining == [934, 634, 334, 34, None]
    tok = json.loads(base64.urlsafe_b64decode(srv.requests[-1].query["continue"] + "=="))
    assert tok["rv"] == int(rvs.pop()) and tok["off"] == 1200 and tok["q"]


def test_expired_continue_token_is_410_with_real_status(sim_factory: SimFactory, big_cluster) -> None:
    faults = Faults()
    srv = sim_factory(big_cluster, faults=faults)
    first = get(srv, "/api/v1/pods?limit=500").json()
    faults.expire_continue(1)
    r = get(srv, f"/api/v1/pods?limit=500&continue={first['metadata']['continue']}")
    assert r.status == 410
    st = r.json()
    assert st["kind"] == "Status" and st["reason"] == "Expired" and st["code"] == 410
    assert st["message"].startswith(
        "The provided continue parameter is too old to display a consistent list "
        "result. You can start a new list without the continue parameter, or use "
        "the continue token in this response"
    )
    assert st["metadata"]["continue"]  # for an inconsistent continuation, as the apiserver offers
    # The Python client surfaces it as ApiException(410); a fresh list then works again.
    faults.expire_continue(1)
    api = core(srv)
    with pytest.raises(ApiException) as exc:
        api.list_pod_for_all_namespaces(limit=500, _continue=first["metadata"]["continue"])
    assert exc.value.status == 410
    fresh = api.list_pod_for_all_namespaces(limit=500)
    assert fresh.metadata.resource_version != first["metadata"]["resourceVersion"]  # the cluster moved on
    second = api.list_pod_for_all_namespaces(limit=500, _continue=fresh.metadata._continue)
    assert len(second.items) == 500
    # The inconsistent token from the 410 continues right after the last item already seen.
    rest = get(srv, f"/api/v1/pods?limit=500&continue={st['metadata']['continue']}").json()
    assert [p["metadata"]["name"] for p in rest["items"]] == [p.metadata.name for p in second.items]


class _HandClock:
    """Seconds that pass only when the test says so: a TTL is checked however slow the machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_continue_ttl(sim_factory: SimFactory, big_cluster) -> None:
    clock = _HandClock()
    faults = Faults(continue_ttl_seconds=1.5, clock=clock)
    srv = sim_factory(big_cluster, faults=faults)
    first = get(srv, "/api/v1/pods?limit=500").json()
    clock.now += 1.4  # still within its TTL
    assert get(srv, f"/api/v1/pods?limit=500&continue={first['metadata']['continue']}").status == 200
    clock.now += 1.6  # counted from when it was handed out: older than 1.5 s now
    assert get(srv, f"/api/v1/pods?limit=500&continue={first['metadata']['continue']}").status == 410
    again = get(srv, "/api/v1/pods?limit=500").json()  # a new list starts a new snapshot
    assert get(srv, f"/api/v1/pods?limit=500&continue={again['metadata']['continue']}").status == 200


def test_continue_token_bound_to_its_query(sim) -> None:
    page = get(sim, "/api/v1/pods?limit=5").json()
    r = get(sim, f"/api/v1/pods?limit=5&labelSelector=app%3Dx&continue={page['metadata']['continue']}")
    assert r.status == 400 and r.json()["reason"] == "BadRequest"
    assert get(sim, "/api/v1/pods?limit=5&continue=garbage").status == 400


def test_mutation_starts_a_new_snapshot_but_old_tokens_still_resolve(sim) -> None:
    page = get(sim, "/api/v1/pods?limit=10").json()
    sim.cluster.add_pod(make_pod("aaa-new", "batch", "node-1"))
    nxt = get(sim, f"/api/v1/pods?limit=10&continue={page['metadata']['continue']}").json()
    assert nxt["metadata"]["resourceVersion"] == page["metadata"]["resourceVersion"]
    fresh = get(sim, "/api/v1/pods?limit=1000").json()
    assert int(fresh["metadata"]["resourceVersion"]) > int(page["metadata"]["resourceVersion"])
    assert len(fresh["items"]) == 61


def test_label_and_field_selectors(sim) -> None:
    pods = sim.cluster.list("pods")

    def names(query: str) -> list[str]:
        r = get(sim, f"/api/v1/pods?{query}")
        assert r.status == 200, r.body
        assert "remainingItemCount" not in r.json()["metadata"]
        return [p["metadata"]["name"] for p in r.json()["items"]]

    assert names("labelSelector=component%3Detcd") == ["etcd-cp-1"]
    assert names("labelSelector=component%20in%20(etcd,kube-scheduler)") == [
        "etcd-cp-1",
        "kube-scheduler-cp-1",
    ]
    with_hash = [p["metadata"]["name"] for p in pods if "pod-template-hash" in p["metadata"]["labels"]]
    assert names("labelSelector=pod-template-hash") == with_hash
    assert names("labelSelector=!pod-template-hash") == [
        p["metadata"]["name"] for p in pods if p["metadata"]["name"] not in with_hash
    ]
    assert names("labelSelector=component!%3Detcd,tier%3Dcontrol-plane") == [
        "kube-apiserver-cp-1",
        "kube-controller-manager-cp-1",
        "kube-scheduler-cp-1",
    ]
    assert names("labelSelector=component%20notin%20(etcd),tier") == names(
        "labelSelector=component!%3Detcd,tier"
    )
    on_node = [p["metadata"]["name"] for p in pods if p["spec"].get("nodeName") == "node-2"]
    assert names("fieldSelector=spec.nodeName%3Dnode-2") == on_node
    pending = [p["metadata"]["name"] for p in pods if p["status"]["phase"] == "Pending"]
    assert pending and names("fieldSelector=status.phase%3DPending") == pending
    assert names("fieldSelector=status.phase!%3DRunning,status.phase!%3DPending") == [
        p["metadata"]["name"] for p in pods if p["status"]["phase"] not in ("Running", "Pending")
    ]
    assert names("fieldSelector=metadata.namespace%3D%3Dbatch") == [
        p["metadata"]["name"] for p in pods if p["metadata"]["namespace"] == "batch"
    ]
    ns = get(sim, "/api/v1/namespaces/kube-system/pods?fieldSelector=metadata.name%3Detcd-cp-1").json()
    assert [p["metadata"]["name"] for p in ns["items"]] == ["etcd-cp-1"]
    assert [
        n["metadata"]["name"]
        for n in get(sim, "/api/v1/nodes?fieldSelector=metadata.name%3Dnode-3").json()["items"]
    ] == ["node-3"]
    metrics = get(sim, "/apis/metrics.k8s.io/v1beta1/pods?labelSelector=component%3Detcd").json()
    assert [m["metadata"]["name"] for m in metrics["items"]] == ["etcd-cp-1"]
    # Paging a selected list keeps the selection.
    first = get(sim, "/api/v1/pods?labelSelector=pod-template-hash&limit=4").json()
    second = get(
        sim, "/api/v1/pods?labelSelector=pod-template-hash&limit=4&continue=" + first["metadata"]["continue"]
    ).json()
    assert [p["metadata"]["name"] for p in first["items"] + second["items"]] == with_hash[:8]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("labelSelector=app%3D%3D%3Dx", "unable to parse requirement"),
        ("labelSelector=app%20in%20x", "unable to parse requirement"),
        ("fieldSelector=spec.bogus%3Dx", "field label not supported: spec.bogus"),
        ("fieldSelector=nonsense", "invalid selector"),
    ],
)
def test_bad_selectors_are_400(sim, query: str, message: str) -> None:
    r = get(sim, f"/api/v1/pods?{query}")
    assert r.status == 400 and r.headers["content-type"] == "application/json"
    st = r.json()
    assert (st["kind"], st["status"], st["reason"], st["code"]) == ("Status", "Failure", "BadRequest", 400)
    assert message in st["message"]


def test_not_found_bodies(sim) -> None:
    r = get(sim, "/api/v1/namespaces/default/pods/x")
    assert r.status == 404
    assert r.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "x" not found',
        "reason": "NotFound",
        "details": {"name": "x", "kind": "pods"},
        "code": 404,
    }
    assert get(sim, "/api/v1/nodes/zz").json()["message"] == 'nodes "zz" not found'
    assert get(sim, "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/x").json()["message"] == (
        'podmetrics.metrics.k8s.io "default/x" not found'
    )
    # a group nobody serves: the apiserver's mux answers in plain text (kube-apiserver 1.36)
    r = get(sim, "/apis/nope.example.com/v1/things")
    assert r.status == 404 and r.body == b"404 page not found\n"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    r = get(sim, "/api/v1/things")
    assert r.status == 404 and r.json()["message"] == "the server could not find the requested resource"
    assert get(sim, "/api/v1/nodes/zz/proxy/stats/summary").json()["message"] == 'nodes "zz" not found'


def test_metrics_absent_and_unavailable(sim) -> None:
    groups = [g["name"] for g in get(sim, "/apis").json()["groups"]]
    assert "metrics.k8s.io" in groups and "scheduling.k8s.io" in groups
    sim.faults.metrics = "absent"
    assert "metrics.k8s.io" not in [g["name"] for g in get(sim, "/apis").json()["groups"]]
    r = get(sim, "/apis/metrics.k8s.io/v1beta1/pods")
    assert r.status == 404 and r.body == b"404 page not found\n"
    sim.faults.metrics = "unavailable"
    r = get(sim, "/apis/metrics.k8s.io/v1beta1/nodes")
    assert r.status == 503 and r.body == b"service unavailable\n"


WHO = 'User "alice" cannot'
FORBIDDEN_CASES = [
    ("/api/v1/pods", f'pods is forbidden: {WHO} list resource "pods" in API group "" at the cluster scope'),
    (
        "/api/v1/namespaces/team-b/pods/x",
        f'pods "x" is forbidden: {WHO} get resource "pods" in API group "" in the namespace "team-b"',
    ),
    (
        "/api/v1/nodes/n1/proxy/stats/summary",
        f'nodes "n1" is forbidden: {WHO} get resource "nodes/proxy" in API group "" at the cluster scope',
    ),
    (
        "/apis/metrics.k8s.io/v1beta1/pods",
        f'pods.metrics.k8s.io is forbidden: {WHO} list resource "pods" in API group "metrics.k8s.io" at the '
        "cluster scope",
    ),
    (
        "/apis/metrics.k8s.io/v1beta1/namespaces/team-b/pods",
        f'pods.metrics.k8s.io is forbidden: {WHO} list resource "pods" in API group "metrics.k8s.io" in the '
        'namespace "team-b"',
    ),
]


def test_auth_401_and_403_messages(sim_factory: SimFactory) -> None:
    c = Cluster()
    c.add_node(make_node("n1"))
    c.add_pod(make_pod("p", "team-a", "n1"))
    auth = Auth(
        {
            "t-alice": (
                "alice",
                [
                    {
                        "verbs": ["list", "get"],
                        "resources": ["pods", "pods.metrics.k8s.io"],
                        "namespaces": ["team-a"],
                    },
                    Rule(verbs=("get",), resources=("nodes",)),
                ],
            )
        }
    )
    srv = sim_factory(c, auth=auth)
    for token in (None, "nope"):
        r = get(srv, "/api/v1/pods", token=token)
        assert r.status == 401
        assert r.json() == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Unauthorized",
            "reason": "Unauthorized",
            "code": 401,
        }
    assert get(srv, "/api/v1/namespaces/team-a/pods", token="t-alice").status == 200
    assert get(srv, "/api/v1/nodes/n1", token="t-alice").status == 200
    assert get(srv, "/apis", token="t-alice").status == 200  # discovery for every authenticated user
    for path, message in FORBIDDEN_CASES:
        r = get(srv, path, token="t-alice")
        assert r.status == 403, path
        st = r.json()
        assert (st["reason"], st["code"], st["message"]) == ("Forbidden", 403, message)
    assert get(srv, "/api/v1/nodes/n1/proxy/stats/summary", token="t-alice").json()["details"] == {
        "name": "n1",
        "kind": "nodes",
    }
    assert get(srv, "/apis/metrics.k8s.io/v1beta1/pods", token="t-alice").json()["details"] == {
        "group": "metrics.k8s.io",
        "kind": "pods",
    }
    srv.auth.add_user("t-bob", "bob", [Rule()])
    assert get(srv, "/api/v1/pods", token="t-bob").status == 200


def test_no_auth_plain_http(sim_factory: SimFactory) -> None:
    srv = sim_factory(auth=Auth.disabled(), tls=False)
    assert srv.url.startswith("http://127.0.0.1:")
    assert get(srv, "/api/v1/nodes", token=None).status == 200
    api = core(srv)
    assert len(api.list_node().items) == 6


def test_gzip_when_asked_and_big_enough(sim_factory: SimFactory, big_cluster) -> None:
    srv = sim_factory(big_cluster)
    plain = get(srv, "/api/v1/pods?limit=500")
    zipped = get(srv, "/api/v1/pods?limit=500", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"] == "Accept-Encoding"
    assert len(zipped.raw) < len(plain.raw) / 5
    assert zipped.body == plain.raw
    small = get(srv, "/api/v1/nodes/node-1", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # under the apiserver's 128 KiB threshold
    log = [r for r in srv.requests if r.path == "/api/v1/pods"]
    assert [r.content_encoding for r in log] == ["", "gzip"]
    assert log[1].headers["accept-encoding"] == "gzip"


def test_full_list_without_limit(sim_factory: SimFactory, big_cluster) -> None:
    srv = sim_factory(big_cluster)
    doc = get(srv, "/api/v1/pods").json()
    assert len(doc["items"]) == 1234 and "continue" not in doc["metadata"]
    assert doc["kind"] == "PodList" and doc["apiVersion"] == "v1"


def test_429_with_retry_after_then_recovers(sim) -> None:
    sim.faults.throttle(2, retry_after=3, path_prefix="/api/v1/pods")
    conn = connect(sim)
    assert get(sim, "/api/v1/nodes", conn=conn).status == 200  # other paths unaffected
    for _ in range(2):
        r = get(sim, "/api/v1/pods?limit=5", conn=conn)
        assert r.status == 429 and r.headers["retry-after"] == "3"
        assert r.json()["reason"] == "TooManyRequests" and r.json()["details"] == {"retryAfterSeconds": 3}
    assert get(sim, "/api/v1/pods?limit=5", conn=conn).status == 200
    conn.close()


def test_500_latency_and_malformed(sim) -> None:
    sim.faults.fail(1)
    r = get(sim, "/api/v1/nodes")
    assert r.status == 500 and r.json()["reason"] == "InternalError"
    sim.faults.latency_ms = 150
    t0 = time.perf_counter()
    assert get(sim, "/api/v1/nodes").status == 200
    assert time.perf_counter() - t0 >= 0.15
    sim.faults.latency_ms = 0
    sim.faults.malform("/apis/metrics.k8s.io/")
    r = get(sim, "/apis/metrics.k8s.io/v1beta1/pods")
    assert r.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.body)
    sim.faults.malform("/apis/metrics.k8s.io/", enabled=False)
    assert get(sim, "/apis/metrics.k8s.io/v1beta1/pods").json()["kind"] == "PodMetricsList"


def test_keep_alive_and_request_log(sim) -> None:
    conn = connect(sim)
    for path in (
        "/version",
        "/api",
        "/apis",
        "/api/v1",
        "/apis/scheduling.k8s.io/v1",
        "/apis/metrics.k8s.io/v1beta1",
    ):
        assert get(sim, path, conn=conn).status == 200
    conn.close()
    paths = [r.path for r in sim.requests]
    assert paths[-6:] == [
        "/version",
        "/api",
        "/apis",
        "/api/v1",
        "/apis/scheduling.k8s.io/v1",
        "/apis/metrics.k8s.io/v1beta1",
    ]
    core_resources = {r["name"] for r in get(sim, "/api/v1").json()["resources"]}
    assert {"pods", "pods/log", "nodes", "nodes/proxy", "namespaces", "events"} <= core_resources
    sim.clear_requests()
    assert sim.requests == []


def test_summary_api_shape_and_consistency() -> None:
    c = Cluster()
    c.add_node(make_node("n1", memory="8Gi"))
    pod = c.add_pod(
        make_pod(
            "api",
            "default",
            "n1",
            [
                make_container(
                    "api", "ghcr.io/acme/api-go:1.4", requests={"memory": "256Mi"}, limits={"memory": "512Mi"}
                ),
                make_container("envoy", "envoyproxy/envoy:v1.31.2", requests={"memory": "64Mi"}),
            ],
        )
    )
    c.set_pod_usage(
        "default",
        "api",
        {"api": ContainerUsage(400 << 20, usage=450 << 20, rss=380 << 20), "envoy": 50 << 20},
    )
    c.set_node_usage("n1", 3 << 30)
    with SimServer(c).start() as srv:
        doc = get(srv, "/api/v1/nodes/n1/proxy/stats/summary").json()
        node = doc["node"]
        assert node["nodeName"] == "n1"
        mem = node["memory"]
        assert set(mem) >= {
            "availableBytes",
            "usageBytes",
            "workingSetBytes",
            "rssBytes",
            "pageFaults",
            "majorPageFaults",
        }
        cap = int(srv.cluster.get("nodes", "n1")["status"]["capacity"]["memory"][:-2]) * 1024
        assert mem["workingSetBytes"] == 3 << 30 and mem["availableBytes"] == cap - (3 << 30)
        assert "pods" in [s["name"] for s in node["systemContainers"]]
        (p,) = doc["pods"]
        assert p["podRef"] == {"name": "api", "namespace": "default", "uid": pod["metadata"]["uid"]}
        by_name = {ct["name"]: ct["memory"] for ct in p["containers"]}
        assert by_name["api"]["workingSetBytes"] == 400 << 20 and by_name["api"]["rssBytes"] == 380 << 20
        assert by_name["api"]["availableBytes"] == (512 - 400) << 20
        assert "availableBytes" not in by_name["envoy"]  # no limit
        assert p["memory"]["workingSetBytes"] > (450 << 20)  # pod cgroup = containers + pause
        reduced = get(srv, "/api/v1/nodes/n1/proxy/stats/summary?only_cpu_and_memory=true").json()
        assert set(reduced["node"]) == {"nodeName", "systemContainers", "startTime", "cpu", "memory"}
        m = get(srv, "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/api").json()
        assert m["kind"] == "PodMetrics" and {x["name"]: x["usage"]["memory"] for x in m["containers"]} == {
            "api": "409600Ki",
            "envoy": "51200Ki",
        }
