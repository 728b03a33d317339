"""oom_score_adj: cases transcribed from kubernetes pkg/kubelet/qos/policy_test.go
(TestGetContainerOOMScoreAdjust) plus the sidecar and pod-level rules of policy.go/helpers.go."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from unit_factories import ctr, pod, res

from kubectl_mem.model.oom_score import container_oom_score_adj, pod_oom_score_adjs
from kubectl_mem.model.qos import compute_qos
from kubectl_mem.model.records import Resources

STANDARD = 8_000_000_000  # standardMemoryAmount


def adj(p, capacity: int, priority: int = 0, name: str | None = None) -> int:
    c = next(x for x in p.containers if name is None or x.name == name)
    return container_oom_score_adj(p, c, capacity, qos_class=compute_qos(p), priority=priority)


# (upstream pod variable, container resources, memoryCapacity, low, high)
UPSTREAM = [
    ("cpuLimit", res(cpu_lim="10"), 4_000_000_000, 999, 999),
    ("memoryLimitCPURequest", res(cpu_req="0", mem_lim="10G"), 8_000_000_000, 999, 999),
    ("zeroMemoryLimit", res(mem_lim="0"), 7_230_457_451, 1000, 1000),
    ("noRequestLimit", res(), 4_000_000_000, 1000, 1000),
    ("equalRequestLimitCPUMemory", res("5m", "10G", "5m", "10G"), 123_456_789, -997, -997),
    ("cpuUnlimitedMemoryLimitedWithRequests", res("5m", str(STANDARD // 2), "", "10G"), STANDARD, 495, 505),
    ("requestNoLimit", res("5m", str(STANDARD - 1)), STANDARD, 3, 3),
]


@pytest.mark.parametrize(
    ("resources", "capacity", "low", "high"),
    [pytest.param(r, cap, lo, hi, id=name) for name, r, cap, lo, hi in UPSTREAM],
)
def test_get_container_oom_score_adjust(resources, capacity: int, low: int, high: int) -> None:
    assert low <= adj(pod("p", ctr("c", resources)), capacity) <= high


def test_critical_upstream_case_is_not_node_critical_without_the_class() -> None:
    # upstream `critical`: priority SystemCriticalPriority, no resources. In current policy.go only
    # node-critical pods get -997, so a priority-only critical BestEffort pod keeps 1000.
    p = pod("p", ctr("c", res()))
    assert adj(p, 4_000_000_000, priority=2_000_000_000) == 1000


def test_node_critical_pod_gets_guaranteed_score() -> None:
    p = pod("p", ctr("c", res()), priority_class_name="system-node-critical")
    assert adj(p, 4_000_000_000, priority=2_000_001_000) == -997


def test_cluster_critical_best_effort_keeps_1000() -> None:
    # reference §3: upstream test `cluster-critical` expects 1000 for a BestEffort pod
    p = pod("p", ctr("c", res()), priority_class_name="system-cluster-critical")
    assert adj(p, 4_000_000_000, priority=2_000_000_000) == 1000


def test_burstable_uses_int64_division() -> None:
    # 1000 - 1000*1_999_999_999/8_000_000_000 = 1000 - 249 (truncated) = 751
    p = pod("p", ctr("c", Resources(memory_request=1_999_999_999)))
    assert adj(p, STANDARD) == 751


def test_sidecar_is_capped_at_the_smallest_regular_container() -> None:
    cap = 10_000_000_000
    p = pod(
        "p",
        ctr("side", Resources(memory_request=100_000_000), "sidecar"),
        ctr("big", Resources(memory_request=5_000_000_000)),
        ctr("small", Resources(memory_request=2_000_000_000)),
    )
    scores = pod_oom_score_adjs(p, cap, qos_class="Burstable", priority=0)
    assert scores["small"] == 800
    assert scores["big"] == 500
    assert scores["side"] == 800  # own request alone would give 990
    p2 = pod(
        "p",
        ctr("side", Resources(memory_request=3_000_000_000), "sidecar"),
        ctr("small", Resources(memory_request=2_000_000_000)),
    )
    assert pod_oom_score_adjs(p2, cap, qos_class="Burstable", priority=0)["side"] == 700  # lower already


def test_pod_level_request_is_shared_over_containers() -> None:
    cap = 10_000_000_000
    # pod request 3G, containers claim 1G: the remaining 2G is split over 2 containers (+1G each)
    p = pod(
        "p",
        ctr("a", Resources(memory_request=1_000_000_000)),
        ctr("b", Resources()),
        pod_resources=Resources(memory_request=3_000_000_000, any_set=True),
    )
    scores = pod_oom_score_adjs(p, cap, qos_class="Burstable", priority=0)
    assert scores == {"a": 800, "b": 900}
    plain = pod_oom_score_adjs(p, cap, qos_class="Burstable", priority=0, pod_level_resources=False)
    assert plain == {"a": 900, "b": 999}


def test_server_qos_class_decides() -> None:
    p = pod("p", ctr("c", res(mem_req="1Gi")))
    assert pod_oom_score_adjs(p, 8 << 30, qos_class="Guaranteed", priority=0) == {"c": -997}


@given(
    st.lists(
        st.tuples(st.sampled_from(["regular", "sidecar", "init"]), st.integers(0, 64 << 30)),
        min_size=1,
        max_size=5,
    ).filter(lambda cs: any(k == "regular" for k, _ in cs)),
    st.integers(1 << 30, 1 << 40),
)
def test_burstable_scores_stay_within_3_and_999(containers, capacity: int) -> None:
    p = pod("p", *(ctr(f"c{i}", Resources(memory_request=v), k) for i, (k, v) in enumerate(containers)))
    for score in pod_oom_score_adjs(p, capacity, qos_class="Burstable", priority=0).values():
        assert 3 <= score <= 999


@given(st.integers(0, 64 << 30), st.integers(0, 64 << 30))
def test_a_larger_request_never_raises_the_score(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    cap = 64 << 30
    s_lo = adj(pod("p", ctr("c", Resources(memory_request=lo, cpu_request_m=1))), cap)
    s_hi = adj(pod("p", ctr("c", Resources(memory_request=hi, cpu_request_m=1))), cap)
    assert s_hi <= s_lo
    assert s_lo in range(3, 1000) and s_hi in range(3, 1000)
