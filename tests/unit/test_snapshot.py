"""build_snapshot wires every rule together; one small cluster checked end to end."""

from __future__ import annotations

import pytest
from cost import cpu_seconds
from unit_factories import ctr, mem, pod, status, term
from unit_synthetic import synthetic_cluster

from kubectl_mem.model.records import ContainerUsage, Node, NodeUsage, PodUsage, PriorityClass, Resources
from kubectl_mem.model.snapshot import build_snapshot, priority_resolver

Mi, Gi = 1 << 20, 1 << 30
TAKEN = "2024-05-01T12:00:00Z"


def use(p, **ws_mi: int) -> PodUsage:
    return PodUsage(
        p.namespace,
        p.name,
        tuple(ContainerUsage(n, v * Mi) for n, v in ws_mi.items()),
        timestamp="2024-05-01T11:59:30Z",
    )


@pytest.fixture
def cluster():
    nodes = [
        Node("node-1", capacity_memory=16 * Gi, allocatable_memory=15 * Gi),
        Node("node-2", capacity_memory=16 * Gi, allocatable_memory=15 * Gi, memory_pressure=True),
    ]
    api = pod(
        "api",
        ctr(
            "api",
            Resources(memory_request=512 * Mi, memory_limit=512 * Mi, cpu_request_m=100, cpu_limit_m=100),
        ),
        namespace="shop",
        qos_class="Guaranteed",
        statuses=(status("api", restart_count=3, last_termination=term("OOMKilled", 137)),),
    )
    batch = pod("batch", ctr("job"), namespace="jobs", qos_class="BestEffort")
    web = pod("web", ctr("web", mem("256Mi", "1Gi")), namespace="shop", qos_class="Burstable")
    proxy = pod(
        "kube-proxy",
        ctr("proxy", mem("50Mi")),
        namespace="kube-system",
        config_source="file",
        qos_class="Burstable",
    )
    done = pod("done", ctr("job"), namespace="jobs", phase="Succeeded", qos_class="BestEffort")
    evicted = pod(
        "old",
        ctr("api", mem("512Mi")),
        namespace="shop",
        phase="Failed",
        reason="Evicted",
        message="The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. ",
        qos_class="Burstable",
    )
    pressured = pod(
        "cache",
        ctr("redis", mem("1Gi")),
        namespace="shop",
        node="node-2",
        qos_class="Burstable",
        priority_class_name="low",
    )
    pods = [api, batch, web, proxy, done, evicted, pressured]
    usage = [
        use(api, api=500),
        use(batch, job=300),
        use(web, web=400),
        use(proxy, proxy=80),
        use(pressured, redis=2048),
    ]
    node_usage = [
        NodeUsage("node-1", working_set=16 * Gi - 300 * Mi),
        NodeUsage("node-2", working_set=15 * Gi),
    ]
    return pods, nodes, usage, node_usage


def test_end_to_end(cluster) -> None:
    pods, nodes, usage, node_usage = cluster
    s = build_snapshot(
        pods,
        nodes,
        usage,
        node_usage,
        taken_at=TAKEN,
        priority_classes=[PriorityClass("low", -10)],
        warnings=["summary API forbidden"],
    )
    by = {v.key: v for v in s.pods}
    n1 = next(n for n in s.nodes if n.node.name == "node-1")

    # eviction order on node-1: all but api exceed their request, larger excess first; the static
    # proxy is critical: ranked upstream but skipped, so it takes no place and comes last
    assert n1.eviction_order == ("jobs/batch", "shop/web", "shop/api", "kube-system/kube-proxy")
    assert by["jobs/batch"].eviction.text == "1" and by["shop/api"].eviction.text == "3"
    assert by["shop/api"].eviction.of == 3
    assert by["kube-system/kube-proxy"].critical and by["kube-system/kube-proxy"].eviction.text == "never"
    assert by["kube-system/kube-proxy"].eviction_risk.level == "low"
    assert by["jobs/done"].eviction.text == "-" and by["shop/old"].eviction.text == "-"
    assert by["jobs/done"].status == "Succeeded" and by["shop/old"].status == "Evicted"
    assert by["shop/old"].risk.level == "none" and not by["shop/old"].live

    assert n1.threshold == 100 * Mi
    assert n1.available == 300 * Mi and n1.headroom == 200 * Mi
    assert n1.pods_working_set == (500 + 300 + 400 + 80) * Mi
    assert n1.allocatable_headroom == 15 * Gi - 1280 * Mi
    assert n1.requests == (512 + 0 + 256 + 50) * Mi
    assert n1.limits is None and n1.pods_without_limit == 2  # batch and proxy are unbounded
    assert n1.pod_count == 4

    api = by["shop/api"]
    assert api.qos_class == "Guaranteed" and not api.qos_computed
    assert api.containers[0].oom_score_adj == -997
    assert api.worst_container == "api" and api.worst_pct_of_limit == pytest.approx(500 / 512 * 100)
    assert api.oom_kills == 1 and api.restarts == 3
    assert api.oom_risk.level == "critical"
    assert by["shop/web"].containers[0].oom_score_adj == 1000 - 1000 * 256 * Mi // (16 * Gi)

    batch = by["jobs/batch"]
    assert batch.eviction_risk.level == "high"  # tight node (200Mi left), first in line
    assert batch.eviction_risk.reasons[0] == "1st of 3 to be evicted on node-1, 200Mi above threshold"
    assert batch.containers[0].oom_score_adj == 1000

    assert by["shop/cache"].priority == -10  # resolved from its PriorityClass
    assert by["shop/cache"].eviction_risk.level == "critical"  # node-2 reports MemoryPressure
    assert by["shop/old"].evicted is not None and by["shop/old"].evicted.available == "90Mi"

    scores = [v.risk_score for v in s.pods]
    assert scores == sorted(scores, reverse=True)
    assert s.metrics_timestamp == "2024-05-01T11:59:30Z"
    assert s.warnings == ("summary API forbidden",)


def test_without_metrics_nothing_is_invented(cluster) -> None:
    pods, nodes, _, _ = cluster
    s = build_snapshot(pods, nodes, [], [], taken_at=TAKEN, metrics_available=False)
    by = {v.key: v for v in s.pods}
    assert not s.metrics_available and s.metrics_timestamp is None
    assert all(v.working_set is None for v in s.pods)
    assert by["shop/web"].risk.level == "unknown"
    assert by["shop/cache"].eviction_risk.level == "critical"  # the node condition alone says so
    assert by["shop/api"].oom_risk.level == "high"  # the OOM history alone says so
    assert all(n.headroom is None for n in s.nodes)


def test_percentage_threshold_and_bad_threshold(cluster) -> None:
    pods, nodes, usage, node_usage = cluster
    s = build_snapshot(
        pods, nodes, usage, node_usage, taken_at=TAKEN, eviction_threshold="memory.available<10%"
    )
    assert s.nodes[0].threshold == int(16 * Gi * 0.10000000149011612)
    with pytest.raises(ValueError):
        build_snapshot(pods, nodes, usage, node_usage, taken_at=TAKEN, eviction_threshold="lots")


@pytest.mark.parametrize(
    ("kw", "classes", "expected"),
    [
        ({"priority": 7}, [PriorityClass("x", 100)], 7),
        ({"priority_class_name": "x"}, [PriorityClass("x", 100)], 100),
        ({}, [PriorityClass("d", 50, global_default=True)], 50),
        ({}, [], 0),
        ({"priority_class_name": "system-node-critical"}, [], 2_000_001_000),  # built-in, even unlisted
    ],
)
def test_priority_resolution(kw, classes, expected: int) -> None:
    assert priority_resolver(classes)(pod("p", **kw)) == expected


@pytest.mark.slow
def test_20k_pods_on_200_nodes_is_fast() -> None:
    """20,000 pods on 200 nodes cost about ten times 2,000 on 20 (~0.6 s against ~0.06 s of CPU here),
    measured in this run in CPU seconds (tests/cost.py); benchmarks/bench_top.py has wall times."""
    small_cluster = synthetic_cluster(2_000, 20)
    big_cluster = synthetic_cluster(20_000, 200)
    small, _ = cpu_seconds(lambda: build_snapshot(*small_cluster, taken_at=TAKEN), repeat=3)
    big, s = cpu_seconds(lambda: build_snapshot(*big_cluster, taken_at=TAKEN), repeat=2)
    print(f"build_snapshot: 20,000 pods / 200 nodes in {big:.3f}s CPU, 2,000 / 20 in {small:.3f}s")
    assert len(s.pods) == 20_000 and len(s.nodes) == 200
    assert big < 20 * small, "build_snapshot grows faster than the pods"
