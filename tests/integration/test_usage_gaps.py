"""Usage metrics.k8s.io does not have: filled from the kubelet's Summary API, or said to be unknown.

Through `cli.main` against the simulated cluster (real HTTPS, real RBAC answers)."""

from __future__ import annotations

import json
import time

from test_top import run

from kubectl_mem.sim import Auth, Cluster, Rule, make_container, make_node, make_pod

Mi = 1 << 20


def gap_cluster() -> Cluster:
    """n1 under MemoryPressure: `young` runs but metrics-server has no figure for it yet."""
    c = Cluster()
    c.add_node(make_node("n1", memory="8Gi", memory_pressure=True))
    for name, ws in (("a", 100), ("b", 120), ("c", 130), ("d", 140), ("young", 700)):
        c.add_pod(
            make_pod(
                name,
                "apps",
                "n1",
                containers=[make_container("app", requests={"memory": "256Mi"}, limits={"memory": "1Gi"})],
            )
        )
        c.set_pod_usage("apps", name, {"app": ws * Mi}, metrics=name != "young")
    c.set_node_usage("n1", 7 * 1024 * Mi)
    return c


def pods_by_name(out: str) -> dict[str, dict]:
    return {p["name"]: p for p in json.loads(out)["items"]}


def test_the_kubelets_summary_fills_the_gap_and_names_its_source(sim_factory, tmp_path):
    srv = sim_factory(gap_cluster())
    srv.clear_requests()
    code, out, err = run(["top", "-A", "-o", "json"], srv.kubeconfig)
    reads = [r.path for r in srv.requests if r.path.endswith("/proxy/stats/summary")]
    assert reads == ["/api/v1/nodes/n1/proxy/stats/summary"]  # once, only the node concerned
    assert code == 0, err
    young = pods_by_name(out)["young"]
    assert young["workingSetSource"] == "summary"
    # the pod cgroup's working set: its container plus the pause container and overhead
    assert young["workingSetBytes"] > 700 * Mi
    assert young["eviction"]["text"] == "1" and young["eviction"]["exact"]  # 700Mi > 256Mi: first
    assert pods_by_name(out)["a"]["workingSetSource"] == "metrics"
    table = run(["top", "-A", "-o", "wide"], srv.kubeconfig)[1]
    assert "USAGE FROM" in table and "summary" in table


def test_without_nodes_proxy_the_place_is_a_range_and_it_is_said(sim_factory, tmp_path):
    rules = [
        Rule(
            verbs=("list", "get"), resources=("pods", "nodes", "pods.metrics.k8s.io", "nodes.metrics.k8s.io")
        )
    ]
    srv = sim_factory(gap_cluster(), auth=Auth({"t": ("dave", rules)}))
    kc = srv.write_kubeconfig(tmp_path / "kc", token="t")
    code, out, err = run(["top", "-A", "-o", "json"], kc)
    assert code == 0  # a warning, not a partial result: every figure shown is right
    assert "usage of 1 running pod unknown" in err and "nodes/proxy" in err
    pods = pods_by_name(out)
    young = pods["young"]
    assert young["workingSetBytes"] is None and young["workingSetSource"] is None
    assert young["eviction"]["text"] == "1..5" and not young["eviction"]["exact"]
    assert young["risk"]["level"] != "critical" and young["risk"]["upTo"] == "critical"
    assert all(not p["eviction"]["exact"] for p in pods.values())
    # nodes NODE says the order is only partly known
    code, text, _ = run(["nodes", "n1"], kc)
    assert "usage unknown for 1 pod: EVICT# a..b = somewhere between" in text
    assert "1..5" in text


def test_no_summary_read_when_metrics_have_every_pod(sim_factory):
    c = gap_cluster()
    c.set_pod_usage("apps", "young", {"app": 700 * Mi})
    srv = sim_factory(c)
    assert run(["top", "-A", "-o", "json"], srv.kubeconfig)[0] == 0
    assert not [r for r in srv.requests if "stats/summary" in r.path]


def test_ended_pods_read_as_history_and_hide_on_request(sim_factory):
    """10.2: Evicted pods were rated medium ('killed by SIGKILL (exit 137), not an OOM kill')."""
    srv = sim_factory()  # the demo scenario: it has evicted and completed pods
    code, out, err = run(["top", "-A", "-o", "json"], srv.kubeconfig)
    assert code == 0, err
    pods = json.loads(out)["items"]
    evicted = [p for p in pods if p["evicted"] is not None]
    assert evicted and all(p["status"] == "Evicted" and not p["live"] for p in evicted)
    assert all(p["risk"]["level"] == "none" and p["eviction"]["text"] == "-" for p in evicted)
    assert not any("SIGKILL" in r for p in evicted for r in p["risk"]["reasons"])
    table = run(["top", "-A"], srv.kubeconfig)[1]
    assert " Evicted " in table
    hidden = run(["top", "-A", "--hide-terminated"], srv.kubeconfig)[1]
    assert " Evicted " not in hidden and " Completed " not in hidden
    assert len(hidden.splitlines()) == len(table.splitlines()) - sum(not p["live"] for p in pods)


def test_a_pod_whose_containers_all_wait_is_first_because_the_kubelet_has_no_stats(sim_factory):
    """A pod in CrashLoopBackOff has no running container: the kubelet's Summary leaves it out (seen on a
    real kubelet, tests/realnode), so its usage is unknown, never the sandbox's few KiB, and its place
    is 1st, as the kubelet ranks a pod without stats."""
    c = gap_cluster()
    c.add_pod(
        make_pod(
            "looping",
            "apps",
            "n1",
            containers=[make_container("app", requests={"memory": "256Mi"}, limits={"memory": "512Mi"})],
            restarts={"app": 6},
            last_state={"app": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}},
            waiting={"app": "CrashLoopBackOff"},
        )
    )
    c.set_pod_usage("apps", "looping", {}, metrics=False)  # the kubelet measures no container of it
    srv = sim_factory(c)
    code, out, err = run(["top", "-A", "-o", "json"], srv.kubeconfig)
    assert code == 0, err
    looping = pods_by_name(out)["looping"]
    assert looping["status"] == "CrashLoopBackOff"
    assert looping["workingSetBytes"] is None and looping["workingSetSource"] is None
    assert looping["eviction"]["text"] == "1" and looping["eviction"]["exact"]
    text = run(["explain", "-n", "apps", "pod/looping"], srv.kubeconfig)[1]
    assert "absent from its Summary API" in text


def test_the_view_asks_a_kubelet_again_only_when_it_can_tell_something_new(sim_factory):
    """The view refreshes every 10 s; it asks a node's Summary at most once a minute while the node's
    pods without metrics stay the same (`young` on n1, which the kubelet has a figure for; `looping` on
    n2, in back-off, which it has none for): a refresh polls metrics.k8s.io, not the kubelets through
    the apiserver. The view says the same each time, the Summary's figure included."""
    from kubectl_mem.kube.snapshot_source import SnapshotSource
    from kubectl_mem.tui.data_sources import ClusterSource

    c = gap_cluster()
    c.add_node(make_node("n2", memory="8Gi"))
    c.set_node_usage("n2", 1024 * Mi)
    c.add_pod(
        make_pod(
            "looping",
            "apps",
            "n2",
            containers=[make_container("app", requests={"memory": "256Mi"}, limits={"memory": "512Mi"})],
            restarts={"app": 6},
            waiting={"app": "CrashLoopBackOff"},
        )
    )
    c.set_pod_usage("apps", "looping", {}, metrics=False)
    srv = sim_factory(c)
    source = ClusterSource(SnapshotSource(kubeconfig=str(srv.kubeconfig), all_namespaces=True))
    try:
        reads: list[list[str]] = []
        places: list[dict[str, str]] = []
        for _ in range(3):
            srv.clear_requests()
            loaded = source.load().loaded
            reads.append(sorted(r.path for r in srv.requests if r.path.endswith("/proxy/stats/summary")))
            places.append({pv.pod.name: (pv.eviction.text, pv.usage_source) for pv in loaded.shown})
        n1, n2 = "/api/v1/nodes/n1/proxy/stats/summary", "/api/v1/nodes/n2/proxy/stats/summary"
        assert reads == [[n1, n2], [], []]
        assert places[0] == places[1] == places[2]
        assert places[0]["looping"] == ("1", None) and places[0]["young"] == ("1", "summary")
        assert source._live is not None
        source._live.summary_memo.ttl = 0.0  # a minute later: asked again
        srv.clear_requests()
        source.load()
        assert sorted(r.path for r in srv.requests if r.path.endswith("/proxy/stats/summary")) == [n1, n2]
        source._live.summary_memo.ttl = 60.0
        # a second pod in back-off on n2: its gaps changed, so it is asked again once the watch has it
        c.add_pod(
            make_pod("looping-2", "apps", "n2", containers=[make_container("app")], waiting={"app": "Error"})
        )
        c.set_pod_usage("apps", "looping-2", {}, metrics=False)
        deadline = time.monotonic() + 60
        while True:
            srv.clear_requests()
            shown = {pv.pod.name for pv in source.load().loaded.shown}
            read = sorted(r.path for r in srv.requests if r.path.endswith("/proxy/stats/summary"))
            if "looping-2" in shown or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert "looping-2" in shown and read == [n2]
    finally:
        source.close()
