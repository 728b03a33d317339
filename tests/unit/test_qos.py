"""QoS class: cases transcribed from kubernetes pkg/apis/core/v1/helper/qos/qos_test.go
(TestComputePodQOS, TestCollectPodLevelResources), plus the KubeletQOSClass fix from the KEP."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from unit_factories import ctr, pod, res

from kubectl_mem.model.qos import compute_qos, effective_qos
from kubectl_mem.model.records import Resources

G, B, BE = "Guaranteed", "Burstable", "BestEffort"


def rl(cpu: str, memory: str) -> tuple[str, str]:
    return cpu, memory


def c(name: str, req: tuple[str, str], lim: tuple[str, str], kind: str = "regular"):
    return ctr(name, res(req[0], req[1], lim[0], lim[1]), kind)


E = rl("", "")

# (upstream case name, containers, init containers, pod-level (requests, limits) or None, expected)
COMPUTE_POD_QOS = [
    ("guaranteed", [c("guaranteed", rl("100m", "100Mi"), rl("100m", "100Mi"))], [], None, G),
    (
        "guaranteed-guaranteed",
        [
            c("g1", rl("100m", "100Mi"), rl("100m", "100Mi")),
            c("g2", rl("100m", "100Mi"), rl("100m", "100Mi")),
        ],
        [],
        None,
        G,
    ),
    ("best-effort-best-effort", [c("b1", E, E), c("b2", E, E)], [], None, BE),
    ("best-effort", [c("best-effort", E, E)], [], None, BE),
    ("best-effort-burstable", [c("be", E, E), c("burstable", rl("1", ""), rl("2", ""))], [], None, B),
    ("best-effort-guaranteed", [c("be", E, E), c("g", rl("10m", "100Mi"), rl("10m", "100Mi"))], [], None, B),
    ("burstable-cpu-guaranteed-memory", [c("b", rl("", "100Mi"), rl("", "100Mi"))], [], None, B),
    ("burstable-no-limits", [c("b", rl("100m", "100Mi"), E)], [], None, B),
    (
        "burstable-guaranteed",
        [c("b", rl("1", "100Mi"), rl("2", "100Mi")), c("g", rl("100m", "100Mi"), rl("100m", "100Mi"))],
        [],
        None,
        B,
    ),
    (
        "burstable-unbounded-but-requests-match-limits",
        [c("b", rl("100m", "100Mi"), rl("200m", "200Mi")), c("u", rl("100m", "100Mi"), E)],
        [],
        None,
        B,
    ),
    ("burstable-1", [c("b", rl("10m", "100Mi"), rl("100m", "200Mi"))], [], None, B),
    ("burstable-2", [c("b", rl("0", "0"), rl("100m", "200Mi"))], [], None, B),
    # best-effort-hugepages: hugepages are not carried by the records at all, 0 cpu/memory is ignored
    ("best-effort-hugepages", [c("be", rl("0", "0"), rl("0", "0"))], [], None, BE),
    (
        "init-container",
        [c("be", E, E)],
        [c("burstable", rl("10m", "100Mi"), rl("100m", "200Mi"), "init")],
        None,
        B,
    ),
    ("guaranteed-with-pod-level-resources", [c("be", E, E)], [], (rl("10m", "100Mi"), rl("10m", "100Mi")), G),
    (
        "guaranteed-with-pod-and-container-level-resources",
        [c("b", rl("3m", "10Mi"), rl("5m", "20Mi"))],
        [],
        (rl("10m", "100Mi"), rl("10m", "100Mi")),
        G,
    ),
    ("burstable-with-pod-level-resources", [c("be", E, E)], [], (rl("10m", "10Mi"), rl("20m", "50Mi")), B),
    (
        "burstable-with-pod-and-container-level-resources",
        [c("b", rl("5m", "10Mi"), rl("5m", "10Mi"))],
        [],
        (rl("10m", "10Mi"), rl("20m", "50Mi")),
        B,
    ),
    (
        "burstable-with-pod-and-container-level-requests",
        [c("b", rl("5m", "10Mi"), E)],
        [],
        (rl("10m", "10Mi"), E),
        B,
    ),
    (
        "burstable-with-pod-and-container-level-resources-2",
        [c("b", rl("5m", "10Mi"), E), c("g", rl("5m", "10Mi"), rl("5m", "10Mi"))],
        [],
        (rl("10m", "10Mi"), rl("5m", "")),
        B,
    ),
    # TestCollectContainerLevelResources
    (
        "two containers and init container with CPU+Mem limits -> Guaranteed (requests differ: Burstable)",
        [
            c("c1", rl("100m", "100Mi"), rl("200m", "200Mi")),
            c("c2", rl("300m", "400Mi"), rl("800m", "1000Mi")),
        ],
        [c("init", rl("50m", "50Mi"), rl("100m", "100Mi"), "init")],
        None,
        B,
    ),
    (
        "init container limits equal requests everywhere",
        [c("c1", rl("1", "1Gi"), rl("1", "1Gi"))],
        [c("init", rl("1", "1Gi"), rl("1", "1Gi"), "init")],
        None,
        G,
    ),
    (
        "init container without a cpu limit breaks Guaranteed",
        [c("c1", rl("1", "1Gi"), rl("1", "1Gi"))],
        [c("init", rl("", "1Gi"), rl("", "1Gi"), "init")],
        None,
        B,
    ),
    (
        "sidecar counts like any init container",
        [c("c1", rl("1", "1Gi"), rl("1", "1Gi"))],
        [c("proxy", E, E, "sidecar")],
        None,
        B,
    ),
]


@pytest.mark.parametrize(
    ("containers", "inits", "pod_level", "expected"),
    [pytest.param(cs, inits, pl, exp, id=name) for name, cs, inits, pl, exp in COMPUTE_POD_QOS],
)
def test_compute_pod_qos(containers, inits, pod_level, expected) -> None:
    pr = None
    if pod_level is not None:
        (rc, rm), (lc, lm) = pod_level
        pr = res(rc, rm, lc, lm)
    p = pod("p", *inits, *containers, pod_resources=pr)
    assert compute_qos(p) == expected


@pytest.mark.parametrize(
    ("requests", "limits", "expected"),
    [
        pytest.param(rl("100m", "128Mi"), rl("750m", "512Mi"), B, id="cpu+mem limits, requests differ"),
        pytest.param(rl("100m", "128Mi"), rl("750m", ""), B, id="only cpu limit -> not Guaranteed"),
        pytest.param(rl("100m", "128Mi"), rl("", "512Mi"), B, id="only memory limit -> not Guaranteed"),
        pytest.param(rl("100m", "128Mi"), E, B, id="no limits -> not Guaranteed"),
        pytest.param(E, rl("1", "1Gi"), B, id="limits without requests are not Guaranteed"),
    ],
)
def test_collect_pod_level_resources(requests, limits, expected) -> None:
    p = pod("p", ctr("app", res("1", "1Gi", "1", "1Gi")), pod_resources=res(*requests, *limits))
    # container resources are ignored in the pod-level branch: they alone would be Guaranteed
    assert compute_qos(p) == expected
    assert compute_qos(p, pod_level_resources=False) == G


def test_pod_level_gate_off_uses_containers() -> None:
    p = pod("p", ctr("app", res()), pod_resources=res("10m", "100Mi", "10m", "100Mi"))
    assert compute_qos(p) == G
    assert compute_qos(p, pod_level_resources=False) == BE


def test_empty_pod_level_resources_fall_back_to_containers_with_the_kubelet_qos_fix() -> None:
    # KEP-2837: before PodLevelResourcesFixKubeletQOSClass an empty spec.resources meant BestEffort
    p = pod("p", ctr("app", res("100m", "100Mi", "100m", "100Mi")), pod_resources=Resources())
    assert compute_qos(p) == G
    assert compute_qos(p, fix_kubelet_qos_class=False) == BE


def test_hugepages_only_pod_level_resources_take_the_pod_level_branch() -> None:
    # isPodLevelResourcesSet is true for hugepages, but hugepages don't count for QoS
    p = pod("p", ctr("app", res("1", "1Gi", "1", "1Gi")), pod_resources=Resources(any_set=True))
    assert compute_qos(p) == BE


def test_effective_qos_prefers_the_server_value() -> None:
    p = pod("p", ctr("app", res("1", "1Gi", "1", "1Gi")), qos_class="Burstable")
    assert effective_qos(p) == ("Burstable", False)
    assert effective_qos(pod("p", ctr("app", res("1", "1Gi", "1", "1Gi")))) == ("Guaranteed", True)


_v = st.one_of(st.none(), st.sampled_from([0, 1, 100, 1000]))


def _from(specs) -> list:
    return [
        ctr(f"c{i}", Resources(cpu_request_m=a, memory_request=b, cpu_limit_m=c, memory_limit=d))
        for i, (a, b, c, d) in enumerate(specs)
    ]


@given(st.lists(st.tuples(_v, _v, _v, _v), min_size=1, max_size=4), st.randoms())
def test_qos_ignores_container_order_and_scale(specs, rnd) -> None:
    q = compute_qos(pod("p", *_from(specs)))
    shuffled = list(specs)
    rnd.shuffle(shuffled)
    doubled = [tuple(None if x is None else 2 * x for x in spec) for spec in specs]
    assert compute_qos(pod("p", *_from(shuffled))) == q
    assert compute_qos(pod("p", *_from(doubled))) == q
    assert (q == BE) == all(not x for spec in specs for x in spec)
    if q == G:
        assert all(spec[2] and spec[3] for spec in specs)
