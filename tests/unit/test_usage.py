"""Per-container usage against request and limit, and the pod's worst container."""

from __future__ import annotations

import pytest
from unit_factories import ctr, mem, pod, status, term

from kubectl_mem.model.records import ContainerUsage, PodUsage
from kubectl_mem.model.usage import container_views, pct, pod_working_set, worst_container

Mi = 1 << 20


def usage(**ws_mi: int) -> PodUsage:
    return PodUsage("default", "p", tuple(ContainerUsage(n, v * Mi) for n, v in ws_mi.items()))


def test_container_views_match_metrics_by_name() -> None:
    p = pod(
        "p",
        ctr("init", mem("10Mi"), "init"),
        ctr("api", mem("256Mi", "512Mi")),
        ctr("side", mem("64Mi")),
        statuses=(status("api", restart_count=3, last_termination=term("OOMKilled", 137)),),
    )
    views = container_views(p, usage(side=32, api=480), {"api": 500})
    by = {v.name: v for v in views}
    assert [v.name for v in views] == ["init", "api", "side"]
    assert by["api"].working_set == 480 * Mi
    assert by["api"].pct_of_request == pytest.approx(187.5)
    assert by["api"].pct_of_limit == pytest.approx(93.75)
    assert by["api"].headroom == 32 * Mi
    assert by["api"].oom_score_adj == 500
    assert by["api"].oom_killed and by["api"].restart_count == 3
    assert by["side"].pct_of_limit is None and by["side"].headroom is None  # no limit: no percentage
    assert by["side"].pct_of_request == pytest.approx(50.0)
    assert by["init"].working_set is None and by["init"].pct_of_request is None


def test_worst_container_is_the_closest_to_its_own_limit() -> None:
    p = pod("p", ctr("big", mem("", "4Gi")), ctr("small", mem("", "100Mi")), ctr("free", mem()))
    views = container_views(p, usage(big=3000, small=90, free=5000), {})
    w = worst_container(views)
    assert w.container == "small"
    assert w.pct_of_limit == pytest.approx(90.0)
    assert w.headroom == 10 * Mi


def test_pod_total_is_never_divided_by_only_the_limits_that_are_set() -> None:
    # 5000Mi used in total, 4196Mi of limits set on two of three containers: no pod percentage
    p = pod("p", ctr("big", mem("", "4Gi")), ctr("small", mem("", "100Mi")), ctr("free", mem()))
    views = container_views(p, usage(big=100, small=10, free=5000), {})
    w = worst_container(views, pod_level_limit=None, working_set=5110 * Mi)
    assert w.container == "small"
    assert w.pct_of_limit == pytest.approx(10.0)


def test_pod_level_limit_wins_when_the_pod_is_closer_to_it() -> None:
    p = pod("p", ctr("a", mem("", "1Gi")), ctr("b", mem()))
    views = container_views(p, usage(a=100, b=900), {})
    w = worst_container(views, pod_level_limit=1024 * Mi, working_set=1000 * Mi)
    assert w.container is None
    assert w.pct_of_limit == pytest.approx(1000 / 1024 * 100)
    assert w.headroom == 24 * Mi


def test_without_metrics_nothing_is_guessed() -> None:
    p = pod("p", ctr("a", mem("1Gi", "1Gi")))
    views = container_views(p, None, {})
    assert views[0].working_set is None and views[0].pct_of_limit is None
    assert worst_container(views) == (None, None, None)
    assert pod_working_set(None) is None
    assert pod_working_set(usage(a=1, b=2)) == 3 * Mi


@pytest.mark.parametrize(
    ("part", "whole", "expected"), [(1, 4, 25.0), (None, 4, None), (1, None, None), (1, 0, None), (0, 5, 0.0)]
)
def test_pct(part, whole, expected) -> None:
    assert pct(part, whole) == expected
