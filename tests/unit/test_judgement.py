"""One judgement per pod (issue 10): STATUS, eviction place with unknown usage, ended pods as history.

Each test names the defect of issue 10 it pins down; each failed before its fix.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from unit_factories import ctr, mem, pod, status, term

from kubectl_mem.model.eviction import RankEntry, eviction_places, rank_key
from kubectl_mem.model.records import (
    ContainerUsage,
    Node,
    NodeUsage,
    PodUsage,
    Termination,
)
from kubectl_mem.model.snapshot import build_snapshot
from kubectl_mem.model.status import pod_status

Mi, Gi = 1 << 20, 1 << 30
TAKEN = "2024-05-01T12:00:00Z"


def use(the_pod, **ws_mi: int) -> PodUsage:
    return PodUsage(
        the_pod.namespace, the_pod.name, tuple(ContainerUsage(n, v * Mi) for n, v in ws_mi.items())
    )


def running(name: str = "app", **kw):
    return status(name, state="running", ready=True, **kw)


# -- 10.1: unknown usage is not a definite 1st -------------------------------------------------


def _pressured_node(n_known: int = 4):
    node = Node("node-1", capacity_memory=16 * Gi, allocatable_memory=15 * Gi, memory_pressure=True)
    known = [
        pod(f"k{i}", ctr("app", mem("256Mi", "1Gi")), statuses=(running(),), qos_class="Burstable")
        for i in range(n_known)
    ]
    crashing = pod(
        "crashing",
        ctr("app", mem("256Mi", "1Gi")),
        qos_class="Burstable",
        statuses=(
            status(
                "app",
                state="waiting",
                state_reason="CrashLoopBackOff",
                restart_count=7,
                last_termination=term("Error", 1),
            ),
        ),
    )
    young = pod("young", ctr("app", mem("256Mi", "1Gi")), statuses=(running(),), qos_class="Burstable")
    usage = [use(p, app=100 + 10 * i) for i, p in enumerate(known)]  # all under their 256Mi request
    return [node], [*known, crashing, young], usage


def test_unknown_usage_gets_a_range_never_a_definite_first() -> None:
    """10.1: a running pod metrics-server has no figure for was put 1st and rated critical."""
    nodes, pods, usage = _pressured_node()
    s = build_snapshot(pods, nodes, usage, [NodeUsage("node-1", 15 * Gi)], taken_at=TAKEN)
    by = {v.pod.name: v for v in s.pods}
    young = by["young"]
    assert young.working_set is None and young.usage_source is None
    assert not young.eviction.exact
    assert young.eviction.text == "1..6"  # it may be over its request (then first) or not
    assert young.risk.level != "critical" and young.risk.up_to == "critical"
    assert "between 1st and 6th of 6 to be evicted on node-1" in young.eviction_risk.reasons[0]
    # the known pods it could overtake have a range too
    # known pods under their request, k3 closest to it: either unknown pod may go before any of them
    assert [by[f"k{i}"].eviction.text for i in (3, 2, 1, 0)] == ["1..3", "2..4", "3..5", "4..6"]
    # critical only where it holds whatever the unknown usage is: surely among the first 3
    assert by["k3"].risk.level == "critical" and by["k2"].risk.level == "medium"
    assert by["k2"].risk.up_to == "critical"


def test_a_crash_looping_container_without_processes_costs_nothing() -> None:
    """A container waiting in back-off has no processes: the pod's figure is complete without it."""
    nodes, pods, usage = _pressured_node(1)
    usage.append(use(pods[1]))  # PodMetrics of `crashing` with no container: nothing runs
    s = build_snapshot(pods, nodes, usage, [NodeUsage("node-1", 15 * Gi)], taken_at=TAKEN)
    crashing = next(v for v in s.pods if v.pod.name == "crashing")
    assert crashing.working_set == 0 and crashing.status == "CrashLoopBackOff"


def test_a_running_container_without_a_figure_makes_the_pod_unknown() -> None:
    p = pod(
        "two",
        ctr("a", mem("64Mi")),
        ctr("b", mem("64Mi")),
        statuses=(running("a"), running("b")),
    )
    s = build_snapshot([p], [Node("node-1", 16 * Gi, 15 * Gi)], [use(p, a=10)], [], taken_at=TAKEN)
    assert s.pods[0].working_set is None  # not 10Mi: b's share is unknown, not 0


def test_summary_api_figure_fills_the_gap_and_says_so() -> None:
    nodes, pods, usage = _pressured_node()
    usage.append(use(pods[-2]))  # crashing: in back-off, nothing runs
    summary = PodUsage(
        "default", "young", (ContainerUsage("app", 50 * Mi),), source="summary", pod_working_set=51 * Mi
    )
    s = build_snapshot(pods, nodes, [*usage, summary], [NodeUsage("node-1", 15 * Gi)], taken_at=TAKEN)
    young = next(v for v in s.pods if v.pod.name == "young")
    assert young.working_set == 51 * Mi  # the pod cgroup's, what the eviction manager ranks by
    assert young.usage_source == "summary" and young.eviction.exact


def test_without_any_usage_the_order_is_not_invented() -> None:
    """10.1: `nodes NODE` without metrics listed an "eviction order" that was only the tie-break."""
    nodes, pods, _ = _pressured_node()
    s = build_snapshot(pods, nodes, [], [], taken_at=TAKEN, metrics_available=False)
    assert {v.eviction.text for v in s.pods} == {"1..6"}


_entry = st.builds(
    RankEntry,
    st.sampled_from(["a", "b"]),
    st.text("xyz", min_size=1, max_size=3),
    st.integers(-3, 3),
    st.integers(0, 6).map(lambda x: x * Mi),
    st.one_of(st.none(), st.integers(0, 8).map(lambda x: x * Mi)),
    st.just(False),
).flatmap(
    # a pod absent from the kubelet's own Summary: no stats upstream either
    lambda e: st.just(e) if e.working_set is not None else st.sampled_from([e, e._replace(no_stats=True)])
)


@given(st.lists(_entry, max_size=9, unique_by=lambda e: (e.namespace, e.name)), st.data())
def test_every_place_the_unknown_usage_could_give_lies_in_the_range(entries, data) -> None:
    """Whatever the unknown working sets are, each pod's real place is within [first, last]."""
    places = eviction_places(entries)
    real = [  # what the kubelet sees: our unknowns have some working set; no-stats pods have none
        e
        if e.working_set is not None or e.no_stats
        else e._replace(working_set=data.draw(st.integers(0, 8).map(lambda x: x * Mi)))
        for e in entries
    ]
    for i, e in enumerate(sorted(real, key=rank_key), 1):
        p = places[(e.namespace, e.name)]
        assert p.first <= i <= p.last
    if all(e.working_set is not None or e.no_stats for e in entries):
        assert all(p.first == p.last for p in places.values())


# -- 10.2: ended pods are history ------------------------------------------------------------


def _evicted():
    return pod(
        "old",
        ctr("api", mem("512Mi")),
        phase="Failed",
        reason="Evicted",
        message="The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. ",
        qos_class="Burstable",
        statuses=(
            status(
                "api",
                state="terminated",
                state_reason="ContainerStatusUnknown",
                terminated=Termination("ContainerStatusUnknown", 137),
            ),
        ),
    )


def test_evicted_pod_is_history_not_live_risk() -> None:
    """10.2: Evicted pods were rated medium: 'killed by SIGKILL (exit 137), not an OOM kill'."""
    s = build_snapshot([_evicted()], [Node("node-1", 16 * Gi, 15 * Gi)], [], [], taken_at=TAKEN)
    v = s.pods[0]
    assert v.status == "Evicted" and not v.live
    assert v.risk.level == "none" and v.eviction.text == "-"
    assert not any("SIGKILL" in r for r in v.risk.reasons)
    assert v.verdict.startswith("Evicted: node node-1 ran low on memory")
    assert s.nodes[0].evictions == 1


# -- 10.9: critical pods take no place; one counting everywhere --------------------------------


def test_node_critical_daemonset_gets_no_eviction_number() -> None:
    """10.9: fluent-bit showed EVICT# 2 while its reason said the kubelet never evicts it."""
    fluent = pod(
        "fluent-bit",
        ctr("fb", mem("64Mi")),
        namespace="kube-system",
        priority=2_000_001_000,
        priority_class_name="system-node-critical",
        statuses=(running("fb"),),
    )
    web = pod("web", ctr("app", mem("64Mi")), statuses=(running(),))
    s = build_snapshot(
        [fluent, web],
        [Node("node-1", 16 * Gi, 15 * Gi)],
        [use(fluent, fb=300), use(web, app=80)],
        [NodeUsage("node-1", 8 * Gi)],
        taken_at=TAKEN,
    )
    by = {v.pod.name: v for v in s.pods}
    assert by["fluent-bit"].eviction.text == "never" and by["fluent-bit"].eviction.first is None
    assert by["web"].eviction.text == "1"  # fluent-bit uses more above its request, but takes no place
    assert by["web"].eviction_risk.reasons[0].startswith("1st of 1 to be evicted on node-1")


def test_pending_pod_bound_to_a_node_is_not_first() -> None:
    """10.9: a Pending pod bound to a node was ranked 1st of that node."""
    pending = pod(
        "starting",
        ctr("app", mem("64Mi")),
        phase="Pending",
        statuses=(status("app", state="waiting", state_reason="ContainerCreating"),),
    )
    web = pod("web", ctr("app", mem("64Mi")), statuses=(running(),))
    s = build_snapshot(
        [pending, web],
        [Node("node-1", 16 * Gi, 15 * Gi)],
        [use(web, app=80)],
        [NodeUsage("node-1", 8 * Gi)],
        taken_at=TAKEN,
    )
    by = {v.pod.name: v for v in s.pods}
    assert by["starting"].status == "ContainerCreating"
    assert by["starting"].eviction.text == "1..2" and by["web"].eviction.text == "1..2"


def test_reasons_and_evict_column_count_alike() -> None:
    """10.9: within `top` itself the place in the reasons and EVICT# differed on most rows."""
    nodes, pods, usage = _pressured_node()
    critical = pod(
        "proxy",
        ctr("p", mem("10Mi")),
        namespace="kube-system",
        config_source="file",
        statuses=(running("p"),),
    )
    s = build_snapshot(
        [*pods, critical],
        nodes,
        [*usage, use(critical, p=500)],
        [NodeUsage("node-1", 15 * Gi)],
        taken_at=TAKEN,
    )
    for v in s.pods:
        if v.eviction.first is not None and v.eviction.exact:
            assert f"{v.eviction.words}," in v.eviction_risk.reasons[0]


# -- STATUS in kubectl's words -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"statuses": (running(),)}, "Running"),
        ({"phase": "Pending", "statuses": ()}, "Pending"),
        (
            {"statuses": (status("app", state="waiting", state_reason="CrashLoopBackOff"),)},
            "CrashLoopBackOff",
        ),
        (
            {"statuses": (status("app", state="terminated", terminated=Termination("OOMKilled", 137)),)},
            "OOMKilled",
        ),
        (
            {
                "phase": "Succeeded",
                "statuses": (status("app", state="terminated", terminated=term("Completed")),),
            },
            "Completed",
        ),
        ({"statuses": (status("app", state="terminated", terminated=Termination("", 2)),)}, "ExitCode:2"),
        (
            {"statuses": (status("app", state="terminated", terminated=Termination("", 0, signal=9)),)},
            "Signal:9",
        ),
        ({"statuses": (running(),), "deleting": True}, "Terminating"),
        ({"phase": "Failed", "reason": "Evicted", "statuses": ()}, "Evicted"),
    ],
)
def test_status_in_kubectls_words(kw, expected: str) -> None:
    assert pod_status(pod("p", ctr(), **kw)) == expected


def test_status_of_init_containers() -> None:
    init = ctr("setup", kind="init")
    waiting = status("setup", kind="init", state="waiting", state_reason="PodInitializing")
    failing = status("setup", kind="init", state="waiting", state_reason="CrashLoopBackOff")
    done = status("setup", kind="init", state="terminated", terminated=term("Completed"))
    app_waiting = status("app", state="waiting", state_reason="PodInitializing")
    assert pod_status(pod("p", init, ctr(), phase="Pending", statuses=(waiting, app_waiting))) == "Init:0/1"
    assert (
        pod_status(pod("p", init, ctr(), phase="Pending", statuses=(failing, app_waiting)))
        == "Init:CrashLoopBackOff"
    )
    assert pod_status(pod("p", init, ctr(), statuses=(done, running()))) == "Running"


def test_a_pod_absent_from_the_kubelets_summary_is_ranked_first_as_upstream() -> None:
    """The kubelet has no stats for a pod whose containers are all in back-off (no cgroup), and ranks
    pods without stats first: once its node's Summary was read, that is known, not a range."""
    nodes, pods, usage = _pressured_node()
    usage.append(use(pods[-1], app=30))  # young: metrics now
    s = build_snapshot(
        pods, nodes, usage, [NodeUsage("node-1", 15 * Gi)], taken_at=TAKEN, summary_nodes=["node-1"]
    )
    by = {v.pod.name: v for v in s.pods}
    crashing = by["crashing"]
    assert crashing.eviction.text == "1" and crashing.eviction.no_stats
    assert any("no stats" in r for r in crashing.eviction_risk.reasons)
    assert by["k3"].eviction.text == "2"
