"""The workloads roll-up (model/owners.py, model/workloads.py) on hand-made records: which workload a
pod belongs to, and what each figure adds up (or leaves unknown)."""

from __future__ import annotations

import pytest
from unit_factories import ctr, mem, pod, status, term

from kubectl_mem.model.owners import Owners, WorkloadKey
from kubectl_mem.model.records import ContainerUsage, Controller, Node, NodeUsage, PodUsage, Resources
from kubectl_mem.model.snapshot import build_snapshot
from kubectl_mem.model.workloads import pod_idle, rollup, rollup_one

MI = 1 << 20
NOW = "2025-03-04T12:00:00Z"


def _views(pods, usage=None, nodes=()):
    usage = usage or {}
    snap = build_snapshot(
        pods,
        nodes or [Node("node-1", 16 << 30, 15 << 30), Node("node-2", 8 << 30, 7 << 30)],
        [
            PodUsage(p.namespace, p.name, tuple(ContainerUsage(c, ws) for c, ws in usage[p.name].items()))
            for p in pods
            if p.name in usage
        ],
        [NodeUsage("node-1", 1 << 30), NodeUsage("node-2", 1 << 30)],
        taken_at=NOW,
    )
    return snap


def _rs_pod(name: str, rs: str, template_hash: str, **kw):
    return pod(
        name,
        ctr("app", mem("256Mi", "512Mi")),
        owner_kind="ReplicaSet",
        owner_name=rs,
        labels=(("pod-template-hash", template_hash),),
        **kw,
    )


# -- which workload --------------------------------------------------------------------------------


def test_a_replicaset_resolves_to_its_deployment_through_its_own_owner_reference() -> None:
    # a name that does not end in the hash: only the ReplicaSet's ownerReference can tell
    owners = Owners([Controller("ReplicaSet", "default", "web-7f9c", "Deployment", "frontend")])
    r = owners.resolve(_rs_pod("web-7f9c-x1", "web-7f9c", "abc"))
    assert r.key == WorkloadKey("Deployment", "default", "frontend") and not r.inferred


def test_a_replicaset_owned_by_another_controller_keeps_that_controller() -> None:
    owners = Owners([Controller("ReplicaSet", "default", "api-5d4f", "Rollout", "api")])
    assert owners.resolve(_rs_pod("api-5d4f-x", "api-5d4f", "5d4f")).key == WorkloadKey(
        "Rollout", "default", "api"
    )


def test_a_replicaset_of_its_own_is_the_workload() -> None:
    owners = Owners([Controller("ReplicaSet", "default", "legacy", desired=2)])
    r = owners.resolve(_rs_pod("legacy-x", "legacy", ""))
    assert r.key == WorkloadKey("ReplicaSet", "default", "legacy") and owners.desired(r.key) == 2


def test_without_the_replicaset_list_the_deployment_is_inferred_from_the_hash() -> None:
    owners = Owners([], listed=("Deployment", "DaemonSet", "StatefulSet", "Job"))
    r = owners.resolve(_rs_pod("api-5d4f8c-x", "api-5d4f8c", "5d4f8c"))
    assert r == (WorkloadKey("Deployment", "default", "api"), True)
    # no hash that fits the name: it stays a ReplicaSet, not a guess
    r = owners.resolve(_rs_pod("odd-x", "odd", "5d4f8c"))
    assert r.key == WorkloadKey("ReplicaSet", "default", "odd")


def test_jobs_resolve_to_their_cronjob_mirror_pods_to_their_node_bare_pods_to_themselves() -> None:
    owners = Owners([Controller("Job", "batch", "export-29150100", "CronJob", "export")])
    job_pod = pod("export-29150100-x", namespace="batch", owner_kind="Job", owner_name="export-29150100")
    assert owners.resolve(job_pod).key == WorkloadKey("CronJob", "batch", "export")
    mirror = pod("etcd-cp-1", namespace="kube-system", node="cp-1", owner_kind="Node", owner_name="cp-1")
    assert owners.resolve(mirror).key == WorkloadKey("Node", "kube-system", "cp-1")
    assert owners.resolve(pod("debug")).key == WorkloadKey("Pod", "default", "debug")


def test_a_job_whose_list_was_not_read_says_its_cronjob_was_not_checked() -> None:
    owners = Owners([], listed=("ReplicaSet",))
    r = owners.resolve(pod("j-x", owner_kind="Job", owner_name="j"))
    assert r == (WorkloadKey("Job", "default", "j"), True)


# -- what each figure adds up ----------------------------------------------------------------------


def test_idle_is_per_container_request_minus_working_set_never_negative() -> None:
    p = pod(
        "p",
        ctr("init", mem("1Gi"), kind="init"),  # finished: nothing idle to measure
        ctr("proxy", mem("128Mi", "256Mi"), kind="sidecar"),
        ctr("app", mem("512Mi", "1Gi")),
        ctr("tool", mem()),  # no request: adds nothing
    )
    snap = _views([p], {"p": {"proxy": 200 * MI, "app": 100 * MI, "tool": 50 * MI}})
    pv = snap.pods[0]
    assert pod_idle(pv) == 0 + (512 - 100) * MI  # the sidecar is over its request: 0, not -72Mi
    # the kubelet's pod request: max(sidecar + app, init + sidecars before it) = max(640Mi, 1Gi)
    row = rollup_one("Pod", "default", "p", [pv])
    assert row.requested == 1 << 30 and row.used == 350 * MI and row.idle == 412 * MI


def test_pod_level_resources_make_the_pod_the_unit_of_idle() -> None:
    p = pod("p", ctr("a"), ctr("b"), pod_resources=Resources(memory_request=1 << 30, any_set=True))
    pv = _views([p], {"p": {"a": 100 * MI, "b": 300 * MI}}).pods[0]
    assert pod_idle(pv) == (1024 - 400) * MI


def test_a_pod_without_usage_is_left_out_of_used_and_idle_and_counted() -> None:
    pods = [_rs_pod(f"api-h-{i}", "api-h", "h") for i in range(3)]
    snap = _views(pods, {"api-h-0": {"app": 100 * MI}, "api-h-1": {"app": 300 * MI}})
    row = rollup_one("Deployment", "default", "api", list(snap.pods), desired=4)
    assert (row.active, row.desired, row.unmeasured) == (3, 4, 1)
    assert row.requested == 3 * 256 * MI  # the kubelet holds it for every pod
    assert row.used == 400 * MI and row.idle == (156 + 0) * MI
    assert row.idle_pct == pytest.approx(100 * 156 / 512)  # over the measured pods' requests only
    assert (row.spread.min, row.spread.median, row.spread.max) == (100 * MI, 200 * MI, 300 * MI)


def test_no_usage_at_all_is_unknown_not_zero() -> None:
    snap = _views([_rs_pod("api-h-0", "api-h", "h")])
    row = rollup_one("Deployment", "default", "api", list(snap.pods))
    assert row.used is None and row.idle is None and row.idle_pct is None and row.spread is None
    assert row.recommendation is not None and row.recommendation.saving is None


def test_limits_are_unbounded_with_the_containers_that_lack_one() -> None:
    pods = [
        pod("a", ctr("x", mem("64Mi", "128Mi")), ctr("y", mem("64Mi"))),
        pod("b", ctr("x", mem("64Mi", "128Mi")), ctr("y", mem("64Mi", "64Mi"))),
        pod("c", ctr("x"), ctr("y")),  # BestEffort
    ]
    row = rollup_one("Pod", "default", "x", list(_views(pods).pods))
    assert row.limits is None and row.containers_without_limit == 1 + 2 and row.best_effort == 1
    row = rollup_one("Pod", "default", "x", [_views(pods).pods[1]])
    assert row.limits == 192 * MI


def test_history_counts_finished_pods_but_they_hold_no_memory() -> None:
    oom = status("app", state="terminated", terminated=term("OOMKilled", 137))
    pods = [
        pod("run-1", ctr("app", mem("256Mi", "512Mi")), phase="Failed", statuses=(oom,)),
        pod("run-2", ctr("app", mem("256Mi", "512Mi")), phase="Failed", reason="Evicted", message="x"),
        pod("run-3", ctr("app", mem("256Mi", "512Mi"))),
    ]
    snap = _views(pods, {"run-3": {"app": 480 * MI}})
    row = rollup_one("CronJob", "default", "export", list(snap.pods))
    assert (row.active, row.oom_kills, row.evictions) == (1, 1, 1)
    assert row.requested == 256 * MI
    rec = row.recommendation.recommendation
    (c,) = rec.containers
    assert c.oom_bump and c.limit >= 614 * MI  # at least VPA's bump: max(512Mi + 100Mi, 512Mi x 1.2)
    assert rec.command.startswith("kubectl set resources cronjob/export -n default -c=app ")


def test_the_saving_is_the_request_freed_across_the_active_replicas() -> None:
    pods = [_rs_pod(f"api-h-{i}", "api-h", "h") for i in range(2)]
    pods = [
        pod(
            p.name,
            ctr("app", mem("2Gi", "2Gi")),
            owner_kind=p.owner_kind,
            owner_name=p.owner_name,
            labels=p.labels,
        )
        for p in pods
    ]
    snap = _views(pods, {"api-h-0": {"app": 300 * MI}, "api-h-1": {"app": 200 * MI}})
    row = rollup_one("Deployment", "default", "api", list(snap.pods))
    (c,) = row.recommendation.recommendation.containers
    assert c.usage == 300 * MI  # the highest replica decides
    assert row.recommendation.saving == 2 * (2048 * MI - c.request)
    assert "one working-set sample" in row.recommendation.history


def test_samples_seen_while_the_view_was_open_raise_the_usage_and_say_so() -> None:
    snap = _views([_rs_pod("api-h-0", "api-h", "h")], {"api-h-0": {"app": 100 * MI}})
    pv = snap.pods[0]
    row = rollup_one(
        "Deployment", "default", "api", [pv], highest={(pv.pod.uid, "app"): 400 * MI}, samples=12
    )
    (c,) = row.recommendation.recommendation.containers
    assert c.usage == 400 * MI and row.recommendation.samples == 12
    assert row.recommendation.history.startswith("up to 12 working-set samples")


def test_rollup_rows_namespaces_daemonsets_and_totals_add_up() -> None:
    ds = [
        pod(f"agent-{n}", ctr("a", mem("64Mi")), node=n, owner_kind="DaemonSet", owner_name="agent")
        for n in ("node-1", "node-2")
    ]
    apps = [_rs_pod("api-h-0", "api-h", "h"), _rs_pod("api-h-1", "api-h", "h", node="node-2")]
    other = [pod("solo", ctr("app", mem("1Gi")), namespace="team")]
    snap = _views(
        ds + apps + other,
        {"agent-node-1": {"a": 80 * MI}, "agent-node-2": {"a": 90 * MI}, "api-h-0": {"app": 100 * MI}},
    )
    owners = Owners(
        [
            Controller("ReplicaSet", "default", "api-h", "Deployment", "api"),
            Controller("Deployment", "default", "api", desired=2),
            Controller("DaemonSet", "default", "agent", desired=2),
        ]
    )
    w = rollup(snap.pods, owners, snap.nodes)
    by = {(r.kind, r.name): r for r in w.rows}
    assert set(by) == {("DaemonSet", "agent"), ("Deployment", "api"), ("Pod", "solo")}
    agent = by[("DaemonSet", "agent")]
    assert agent.daemonset.nodes == 2 and agent.daemonset.request_per_pod == 64 * MI
    assert agent.daemonset.share_max == pytest.approx(100 * 64 / (7 * 1024))  # node-2's 7Gi allocatable
    assert [(d.node, d.requested, d.used) for d in w.daemonset_nodes] == [
        ("node-1", 64 * MI, 80 * MI),
        ("node-2", 64 * MI, 90 * MI),
    ]
    t = w.totals
    assert t.requested == sum(r.requested for r in w.rows) == (64 + 64 + 256 + 256 + 1024) * MI
    assert t.daemonset_requested == 128 * MI and t.daemonset_per_node_max == 64 * MI
    assert t.allocatable == (15 + 7) << 30
    assert {n.namespace: n.requested for n in w.namespaces} == {"default": 640 * MI, "team": 1 << 30}
    # --kind keeps the rows asked for; every node still pays its DaemonSets
    only = rollup(snap.pods, owners, snap.nodes, kinds={"Deployment"})
    assert [r.name for r in only.rows] == ["api"] and only.totals.daemonset_requested == 128 * MI
    assert only.totals.requested == 512 * MI


def test_a_daemonset_pod_without_usage_makes_its_nodes_working_set_a_lower_bound() -> None:
    """Two DaemonSets on node-1, one of whose pods has no working set yet: the node's DaemonSet
    working set is the other's, marked as a lower bound (never a sum that silently leaves it out);
    node-2, all measured, is exact; a node with none measured is unknown."""
    ds = [
        pod(f"{d}-{n}", ctr("a", mem("64Mi")), node=n, owner_kind="DaemonSet", owner_name=d)
        for d in ("agent", "logs")
        for n in ("node-1", "node-2")
    ]
    ds.append(
        pod("agent-node-3", ctr("a", mem("64Mi")), node="node-3", owner_kind="DaemonSet", owner_name="agent")
    )
    nodes = [Node(n, 16 << 30, 15 << 30) for n in ("node-1", "node-2", "node-3")]
    for usage in (
        {"agent-node-1": {"a": 80 * MI}, "agent-node-2": {"a": 90 * MI}, "logs-node-2": {"a": 10 * MI}},
        {"logs-node-2": {"a": 10 * MI}, "agent-node-2": {"a": 90 * MI}, "agent-node-1": {"a": 80 * MI}},
    ):
        snap = _views(ds, usage, nodes)
        w = rollup(snap.pods, Owners(), snap.nodes)
        got = {d.node: (d.pods, d.used, d.unmeasured) for d in w.daemonset_nodes}
        assert got == {"node-1": (2, 80 * MI, 1), "node-2": (2, 100 * MI, 0), "node-3": (1, None, 1)}
        assert (w.totals.daemonset_used, w.totals.daemonset_unmeasured) == (180 * MI, 2)


@pytest.mark.parametrize("seen", [100 * MI, 100 * MI - 512], ids=["steady", "kib-floor"])
def test_samples_that_saw_no_higher_than_now_are_still_what_it_rests_on(seen: int) -> None:
    """A steady workload: the view's samples never saw more than the working set now (or the same
    figure kept to the KiB). The recommendation rests on those samples and says so; it never claims
    one sample beside a history of several."""
    snap = _views([_rs_pod("api-h-0", "api-h", "h")], {"api-h-0": {"app": 100 * MI}})
    pv = snap.pods[0]
    row = rollup_one("Deployment", "default", "api", [pv], highest={(pv.pod.uid, "app"): seen}, samples=5)
    w = row.recommendation
    (c,) = w.recommendation.containers
    assert c.usage == 100 * MI and c.basis == "peak" and "5 samples" in c.usage_source
    assert w.history.startswith("up to 5 working-set samples")
    assert not [x for x in w.recommendation.caveats if "one working-set sample" in x]


def test_a_pod_with_its_working_set_but_not_a_containers_counts_in_used_not_in_idle() -> None:
    """A crash-looping container: the pod's working set is known (the Summary API's pod cgroup), the
    container's is not. WORKING SET has the pod's figure, as `top` shows it; IDLE leaves the pod out
    and says it is a lower bound; the pod is not 'without usage'."""
    pods = [_rs_pod(f"api-h-{i}", "api-h", "h") for i in range(2)]
    snap = build_snapshot(
        pods,
        [Node("node-1", 16 << 30, 15 << 30)],
        [
            PodUsage("default", "api-h-0", (ContainerUsage("app", 100 * MI),)),
            PodUsage("default", "api-h-1", (), source="summary", pod_working_set=40 * MI),
        ],
        [NodeUsage("node-1", 1 << 30)],
        taken_at=NOW,
    )
    assert snap.pods[1].working_set == 40 * MI  # what top shows for it
    row = rollup_one("Deployment", "default", "api", list(snap.pods))
    assert (row.unmeasured, row.idle_unmeasured) == (0, 1)
    assert row.used == 140 * MI and row.idle == 156 * MI
    assert row.idle_pct == pytest.approx(100 * 156 / 256)  # over the pod whose idle is known
    w = rollup(
        snap.pods, Owners([Controller("ReplicaSet", "default", "api-h", "Deployment", "api")]), snap.nodes
    )
    assert (w.totals.unmeasured, w.totals.idle_unmeasured, w.totals.used) == (0, 1, 140 * MI)
