"""The header's sums: what is known is summed, what is not is counted apart, never added as 0."""

from __future__ import annotations

from unit_factories import ctr, mem, pod

from kubectl_mem.model.records import ContainerUsage, Node, NodeUsage, PodUsage
from kubectl_mem.model.snapshot import build_snapshot
from kubectl_mem.model.totals import node_totals, nodes_of, pod_totals

Mi, Gi = 1 << 20, 1 << 30
TAKEN = "2024-05-01T12:00:00Z"


def snapshot():
    nodes = [
        Node("node-1", capacity_memory=16 * Gi, allocatable_memory=15 * Gi),
        Node("node-2", capacity_memory=8 * Gi, allocatable_memory=7 * Gi),
        Node("node-3", capacity_memory=8 * Gi, allocatable_memory=7 * Gi),
    ]
    pods = [
        pod("a", ctr("a", mem("256Mi", "512Mi")), namespace="shop", node="node-1"),
        pod("b", ctr("b", mem("128Mi")), namespace="shop", node="node-2"),  # no limit
        pod("c", ctr("c", mem("1Gi", "1Gi")), namespace="batch", node="node-3"),
        pod("d", ctr("d", mem("64Mi", "64Mi")), namespace="shop", node="", phase="Pending"),
    ]
    usage = [
        PodUsage("shop", "a", (ContainerUsage("a", 300 * Mi),)),
        PodUsage("batch", "c", (ContainerUsage("c", 1 * Gi),)),
    ]
    node_usage = [NodeUsage("node-1", 10 * Gi), NodeUsage("node-3", 5 * Gi)]  # node-2: no figure
    return build_snapshot(pods, nodes, usage, node_usage, taken_at=TAKEN, metrics_available=True)


def test_pod_totals_sum_the_known_and_count_the_rest() -> None:
    s = snapshot()
    shop = [p for p in s.pods if p.pod.namespace == "shop"]
    t = pod_totals(shop)
    assert (t.count, t.working_set, t.without_usage) == (3, 300 * Mi, 1)  # b runs without metrics; d pending
    assert t.requests == (256 + 128 + 64) * Mi
    assert t.limits is None  # b has no limit: unbounded
    assert pod_totals([p for p in shop if p.pod.name != "b"]).limits == (512 + 64) * Mi
    assert pod_totals([]).working_set is None


def test_node_totals_share_like_for_like_and_name_the_tightest() -> None:
    s = snapshot()
    t = node_totals(s.nodes)
    assert (t.count, t.working_set, t.without_usage) == (3, 15 * Gi, 1)
    assert t.allocatable == 29 * Gi and t.allocatable_of_known == 22 * Gi  # node-2 left out of the share
    assert round(t.pct_working_set or 0) == round(100 * 15 / 22)
    assert t.tightest is not None and t.tightest.node.name == "node-3"  # 8Gi - 5Gi, node-1 16Gi - 10Gi
    shop = [p for p in s.pods if p.pod.namespace == "shop"]
    assert [n.node.name for n in nodes_of(shop, s.nodes)] == ["node-1", "node-2"]
