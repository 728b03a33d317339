"""The pod's memory request (GetResourceRequestQuantity) and cgroup limit (ResourceConfigForPod)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from unit_factories import ctr, mem, pod

from kubectl_mem.model.records import Resources
from kubectl_mem.model.requests import (
    aggregate_container_requests,
    pod_memory_limit,
    pod_memory_request,
    sum_optional,
)

Mi = 1 << 20


@pytest.mark.parametrize(
    ("containers", "expected_mi"),
    [
        pytest.param([ctr("a", mem("100Mi")), ctr("b", mem("50Mi"))], 150, id="regular containers sum"),
        pytest.param(
            [ctr("init", mem("500Mi"), "init"), ctr("a", mem("100Mi"))],
            500,
            id="an init container larger than the regular ones wins",
        ),
        pytest.param(
            [ctr("side", mem("50Mi"), "sidecar"), ctr("a", mem("100Mi"))],
            150,
            id="sidecars add to the regular containers",
        ),
        pytest.param(
            [ctr("side", mem("50Mi"), "sidecar"), ctr("init", mem("120Mi"), "init"), ctr("a", mem("100Mi"))],
            170,
            id="init runs next to the sidecars started before it",
        ),
        pytest.param(
            [ctr("init", mem("120Mi"), "init"), ctr("side", mem("50Mi"), "sidecar"), ctr("a", mem("100Mi"))],
            150,
            id="sidecars started after an init don't add to it",
        ),
        pytest.param([ctr("a")], 0, id="best effort"),
    ],
)
def test_aggregate_container_requests_kep_753(containers, expected_mi: int) -> None:
    p = pod("p", *containers)
    assert aggregate_container_requests(p) == expected_mi * Mi
    assert pod_memory_request(p) == expected_mi * Mi


def test_overhead_is_added_only_to_a_non_zero_request() -> None:
    assert pod_memory_request(pod("p", ctr("a", mem("100Mi")), overhead_memory=10 * Mi)) == 110 * Mi
    assert pod_memory_request(pod("p", ctr("a"), overhead_memory=10 * Mi)) == 0


def test_pod_level_request_replaces_container_requests() -> None:
    p = pod(
        "p",
        ctr("a", mem("100Mi")),
        pod_resources=Resources(memory_request=300 * Mi, any_set=True),
        overhead_memory=Mi,
    )
    assert pod_memory_request(p) == 301 * Mi
    assert pod_memory_request(p, pod_level_resources=False) == 101 * Mi


def test_pod_level_limits_only_make_the_eviction_request_zero() -> None:
    # SkipContainerLevelResources is driven by IsPodLevelResourcesSet (requests OR limits)
    p = pod("p", ctr("a", mem("100Mi")), pod_resources=Resources(memory_limit=300 * Mi, any_set=True))
    assert pod_memory_request(p) == 0


@pytest.mark.parametrize(
    ("containers", "pod_resources", "expected_mi"),
    [
        pytest.param(
            [ctr("a", mem("", "100Mi")), ctr("b", mem("", "200Mi"))], None, 300, id="all limited: sum"
        ),
        pytest.param(
            [ctr("a", mem("", "100Mi")), ctr("b", mem("10Mi"))],
            None,
            None,
            id="one unbounded container: no pod limit",
        ),
        pytest.param(
            [ctr("a", mem("", "100Mi")), ctr("b", mem("", "0"))], None, None, id="a zero limit is no limit"
        ),
        pytest.param(
            [ctr("side", mem("", "50Mi"), "sidecar"), ctr("a", mem("", "100Mi"))],
            None,
            150,
            id="sidecar limits add",
        ),
        pytest.param(
            [ctr("side", Resources(), "sidecar"), ctr("a", mem("", "100Mi"))],
            None,
            100,
            id="only regular containers must declare a limit",
        ),
        pytest.param(
            [ctr("init", mem("", "1Gi"), "init"), ctr("a", mem("", "100Mi"))],
            None,
            1024,
            id="init container limit is a max",
        ),
        pytest.param(
            [ctr("a", mem("10Mi"))], Resources(memory_limit=512 * Mi, any_set=True), 512, id="pod-level limit"
        ),
        pytest.param(
            [ctr("a", mem("", "100Mi"))],
            Resources(memory_request=Mi, any_set=True),
            100,
            id="pod-level request only: container limits still apply",
        ),
    ],
)
def test_pod_cgroup_limit(containers, pod_resources, expected_mi) -> None:
    p = pod("p", *containers, pod_resources=pod_resources)
    assert pod_memory_limit(p) == (None if expected_mi is None else expected_mi * Mi)


@given(st.lists(st.one_of(st.none(), st.integers(0, 10**12)), max_size=6))
def test_sum_optional_is_none_iff_a_member_is_unbounded(values) -> None:
    total = sum_optional(values)
    if None in values:
        assert total is None
    else:
        assert total == sum(values)


@given(
    st.lists(
        st.tuples(st.sampled_from(["regular", "init", "sidecar"]), st.integers(0, 10**10)),
        min_size=1,
        max_size=6,
    )
)
def test_aggregate_is_at_least_every_regular_and_init_container(specs) -> None:
    containers = [ctr(f"c{i}", Resources(memory_request=v), kind) for i, (kind, v) in enumerate(specs)]
    p = pod("p", *containers)
    total = aggregate_container_requests(p)
    assert all(total >= v for _, v in specs)
    assert total >= sum(v for kind, v in specs if kind != "init")
