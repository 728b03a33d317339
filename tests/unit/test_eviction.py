"""Eviction thresholds, rankMemoryPressure and node headroom.

Ranking cases transcribed from kubernetes pkg/kubelet/eviction/helpers_test.go
(TestOrderedByExceedsRequestMemory, TestOrderedByPriority, TestOrderedByMemory,
TestOrderedByPriorityMemory)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from unit_factories import pod

from kubectl_mem.model.eviction import (
    RankEntry,
    is_active,
    is_critical,
    node_headroom,
    parse_eviction_threshold,
    rank_key,
    rank_memory_pressure,
)

Mi, Gi = 1 << 20, 1 << 30
LOW, DEFAULT, HIGH = -1, 0, 1  # helpers_test.go lowPriority, defaultPriority, highPriority


def e(name: str, priority: int, request_mi: int, usage_mi: int | None) -> RankEntry:
    return RankEntry("default", name, priority, request_mi * Mi, None if usage_mi is None else usage_mi * Mi)


def order(entries: list[RankEntry]) -> list[str]:
    shuffled = list(entries)
    random.Random(7).shuffle(shuffled)
    return [x.name for x in rank_memory_pressure(shuffled)]


def test_ordered_by_exceeds_request_memory() -> None:
    below = e("below-requests", -1, 200, 199)
    exceeds = e("exceeds-requests", 1, 100, 101)
    assert order([below, exceeds]) == ["exceeds-requests", "below-requests"]


def test_ordered_by_priority() -> None:
    # no stats for any: only priority decides
    pods = [
        e("high-priority", 12534, 200, None),
        e("medium-priority", 1, 100, None),
        e("low-priority", -134, 0, None),
    ]
    assert order(pods) == ["low-priority", "medium-priority", "high-priority"]


def test_ordered_by_memory() -> None:
    pods = [
        e("best-effort-high", DEFAULT, 0, 500),
        e("best-effort-low", DEFAULT, 0, 300),
        e("burstable-high", DEFAULT, 100, 800),
        e("burstable-low", DEFAULT, 100, 300),
        e("guaranteed-high", DEFAULT, 1024, 800),
        e("guaranteed-low", DEFAULT, 1024, 200),
    ]
    assert order(pods) == [
        "burstable-high",
        "best-effort-high",
        "best-effort-low",
        "burstable-low",
        "guaranteed-high",
        "guaranteed-low",
    ]


def test_ordered_by_priority_memory() -> None:
    pods = [
        e("above-requests-low-priority-high-usage", LOW, 0, 500),
        e("above-requests-low-priority-low-usage", LOW, 0, 50),
        e("above-requests-high-priority-high-usage", HIGH, 100, 600),
        e("above-requests-high-priority-low-usage", HIGH, 100, 150),
        e("below-requests-low-priority-high-usage", LOW, 1024, 800),
        e("below-requests-low-priority-low-usage", LOW, 1024, 200),
        e("below-requests-high-priority-high-usage", HIGH, 1024, 800),
        e("below-requests-high-priority-low-usage", HIGH, 1024, 200),
    ]
    assert order(pods) == [x.name for x in pods]


def test_pods_without_stats_come_first() -> None:
    pods = [e("huge-user", -100, 0, 4096), e("no-metrics", 100, 1024, None)]
    assert order(pods) == ["no-metrics", "huge-user"]


def test_using_exactly_the_request_does_not_exceed_it() -> None:
    assert order([e("at-request", -5, 100, 100), e("over", 5, 100, 101)]) == ["over", "at-request"]


def test_full_ties_break_by_namespace_then_name() -> None:
    a = RankEntry("b-ns", "a", 0, 0, Mi)
    b = RankEntry("a-ns", "z", 0, 0, Mi)
    assert rank_memory_pressure([a, b]) == [b, a]


_entry = st.builds(
    RankEntry,
    st.sampled_from(["a", "b"]),
    st.text("xyz", min_size=1, max_size=3),
    st.integers(-10, 10),
    st.integers(0, 8).map(lambda x: x * Mi),
    st.one_of(st.none(), st.integers(0, 8).map(lambda x: x * Mi)),
)


def _go_cmp(p1: RankEntry, p2: RankEntry) -> int:
    """The upstream comparator chain, literally: exceedMemoryRequests, priority, memory."""
    if p1.working_set is None or p2.working_set is None:
        a, b = p1.working_set is None, p2.working_set is None
        if a != b:
            return -1 if a else 1
    else:
        x, y = p1.working_set > p1.request, p2.working_set > p2.request
        if x != y:
            return -1 if x else 1
    if p1.priority != p2.priority:
        return -1 if p1.priority < p2.priority else 1
    if p1.working_set is None or p2.working_set is None:
        return 0
    d1, d2 = p1.working_set - p1.request, p2.working_set - p2.request
    return (d2 > d1) - (d2 < d1)


@given(st.lists(_entry, max_size=12))
def test_ranking_is_consistent_with_the_three_upstream_rules(entries) -> None:
    ranked = rank_memory_pressure(entries)
    for i in range(len(ranked)):
        for j in range(i + 1, len(ranked)):
            assert _go_cmp(ranked[i], ranked[j]) <= 0  # nobody ranked later should come first upstream
    assert sorted(ranked, key=rank_key) == ranked  # a total order: sorting again changes nothing


@pytest.mark.parametrize(
    ("spec", "capacity", "expected"),
    [
        ("100Mi", 16 * Gi, 100 * Mi),
        ("memory.available<100Mi", 16 * Gi, 100 * Mi),
        ("memory.available<500M", 16 * Gi, 500_000_000),
        ("nodefs.available<10%,memory.available<1Gi", 16 * Gi, Gi),
        ("memory.available<5%", 16 * Gi, int(16 * Gi * 0.05000000074505806)),  # float32(5)/100
        ("10%", 8_000_000_000, 800_000_011),  # float32 0.1 is 0.10000000149...
        ("memory.available<0%", 16 * Gi, 0),  # ignored upstream: no threshold
        ("100%", 16 * Gi, 0),
        (104857600, 0, 104857600),
    ],
)
def test_parse_eviction_threshold(spec, capacity: int, expected: int) -> None:
    assert parse_eviction_threshold(spec, capacity) == expected


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "memory.available<",
        "memory.available<-1Mi",
        "memory.available<0",
        "nodefs.available<10%",
        "memory.available<abc",
        "150%",
        "-5%",
        "x%",
        "memory.available>100Mi",
    ],
)
def test_parse_eviction_threshold_rejects(spec) -> None:
    with pytest.raises(ValueError):
        parse_eviction_threshold(spec, 16 * Gi)


@pytest.mark.parametrize(
    ("kw", "priority", "critical"),
    [
        ({}, 0, False),
        ({"config_source": "api"}, 0, False),
        ({"config_source": "file"}, 0, True),  # static pod
        ({"config_source": "http"}, 0, True),
        ({"is_mirror": True}, 0, True),
        ({}, 2_000_000_000, True),  # system-cluster-critical
        ({}, 1_999_999_999, False),
    ],
)
def test_critical_pods(kw, priority: int, critical: bool) -> None:
    assert is_critical(pod("p", **kw), priority) is critical


@pytest.mark.parametrize(
    ("phase", "node", "active"),
    [
        ("Running", "n", True),
        ("Pending", "n", True),
        ("Unknown", "n", True),
        ("Succeeded", "n", False),
        ("Failed", "n", False),
        ("Pending", "", False),
    ],
)
def test_only_pods_on_a_node_and_not_terminated_are_ranked(phase: str, node: str, active: bool) -> None:
    assert is_active(pod("p", phase=phase, node=node)) is active


def test_node_headroom() -> None:
    h = node_headroom(16 * Gi, 15 * Gi, 15 * Gi + 900 * Mi, 100 * Mi, 14 * Gi)
    assert h.available == 124 * Mi
    assert h.headroom == 24 * Mi
    assert h.allocatable_headroom == Gi
    past = node_headroom(16 * Gi, 15 * Gi, 16 * Gi - 50 * Mi, 100 * Mi, None)
    assert past.headroom == -50 * Mi
    assert past.allocatable_headroom is None
    assert node_headroom(16 * Gi, 15 * Gi, None, 100 * Mi, None).headroom is None
