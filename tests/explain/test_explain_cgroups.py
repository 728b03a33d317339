"""explain with the node collector's figures (--cgroups): the kernel's OOM counters as evidence,
the composition and what could be reclaimed, the peak under the recommendation. Fixed records."""

from __future__ import annotations

import msgspec
from test_explain_golden import MI, _api_pod, _snapshot, cgroup_figures

from kubectl_mem.model.cgroup import CgroupOverlay, ContainerCgroup, Figures, PodCgroup
from kubectl_mem.model.explain import WorkloadRef, explain
from kubectl_mem.model.records import ContainerStatus, ContainerUsage, PodUsage, Resources
from kubectl_mem.report.explain_text import render_text


def _one(pod, api: Figures, pod_fig: Figures, ws: int = 300 * MI):
    snap = _snapshot([pod], [PodUsage("shop", pod.name, (ContainerUsage("api", ws),))])
    pc = PodCgroup("node-1", pod.uid, "shop", pod.name, "burstable", pod_fig, (ContainerCgroup("api", api),))
    return explain(
        list(snap.pods),
        snap,
        namespace="shop",
        target=f"pod/{pod.name}",
        cgroups=CgroupOverlay(pods={pod.uid: pc}),
    )


def test_oom_killed_while_no_limit_in_the_pod_was_reached_is_a_node_oom() -> None:
    p = _api_pod("api-1", 2, "2025-03-04T11:46:00Z")
    e = _one(
        p,
        cgroup_figures(250 * MI, 30 * MI, 20 * MI),
        cgroup_figures(251 * MI, 30 * MI, 20 * MI, oom_kills=2, ooms=0),
    )
    c = e.cause
    assert (c.kind, c.confidence, c.container) == ("node-oom-kill", "certain", "api")
    assert "no cgroup of the pod ever reached its limit (memory.events oom 0)" in c.summary
    kernel = [ev for ev in c.evidence if ev.source == "cgroup memory.events (node collector)"]
    assert len(kernel) == 1 and "counted 2 OOM kills in the pod's cgroup" in kernel[0].text
    assert "the API shows 1 OOMKilled container" in kernel[0].text
    assert e.verdict.startswith("Container api was killed by a node-level OOM")


def test_without_the_pod_counters_the_same_kill_stays_a_limit_kill() -> None:
    p = _api_pod("api-1", 2, "2025-03-04T11:46:00Z")
    snap = _snapshot([p], [PodUsage("shop", p.name, (ContainerUsage("api", 300 * MI),))])
    e = explain(list(snap.pods), snap, namespace="shop", target="pod/api-1")
    assert (e.cause.kind, e.cause.confidence) == ("container-oom-kill", "likely")
    assert e.pods[0].cgroup is None and e.pods[0].containers[0].cgroup is None


def test_a_process_killed_in_a_running_container_on_cgroup_v1_is_only_likely() -> None:
    p = _api_pod("api-1", 0, None)
    v1 = msgspec.structs.replace(cgroup_figures(250 * MI, 30 * MI, 20 * MI), oom_kills=1, ooms=None)
    e = _one(p, v1, cgroup_figures(251 * MI, 30 * MI, 20 * MI, oom_kills=1))
    assert (e.cause.kind, e.cause.confidence) == ("container-oom-kill", "likely")
    assert "most likely at its 512Mi limit" in e.cause.summary
    assert e.cause.alternatives == (
        "cgroup v1 has no oom counter: a node-level OOM kill would count the same.",
    )


def test_a_process_killed_in_a_container_without_limit_is_node_level() -> None:
    p = _api_pod("api-1", 0, None)
    (spec,) = p.containers
    p = msgspec.structs.replace(
        p,
        containers=(
            msgspec.structs.replace(spec, resources=Resources(memory_request=256 * MI, any_set=True)),
        ),
    )
    e = _one(
        p,
        cgroup_figures(250 * MI, 30 * MI, 20 * MI, oom_kills=3, ooms=0),
        cgroup_figures(251 * MI, 30 * MI, 20 * MI),
    )
    assert (e.cause.kind, e.cause.confidence) == ("node-oom-kill", "certain")
    assert e.cause.summary.startswith(
        "The kernel OOM-killed 3 processes in api while its cgroup never reached"
    )
    assert e.verdict.startswith(e.cause.summary)


def test_a_container_that_has_not_restarted_keeps_its_termination_story() -> None:
    """A container terminated (not restarted yet): its cgroup counters are the killed instance's,
    so the termination cause leads and no second, kernel-only cause is added."""
    p = _api_pod("api-1", 0, "2025-03-04T11:46:00Z")
    (st,) = p.statuses
    p = msgspec.structs.replace(
        p, statuses=(msgspec.structs.replace(st, state="terminated", terminated=st.last_termination),)
    )
    e = _one(
        p,
        cgroup_figures(250 * MI, 30 * MI, 20 * MI, oom_kills=1, ooms=1),
        cgroup_figures(251 * MI, 30 * MI, 20 * MI, oom_kills=1, ooms=1),
    )
    assert e.cause.kind == "container-oom-kill" and e.pods[0].other_causes == ()


def test_summary_api_figures_show_what_they_have() -> None:
    p = _api_pod("api-1", 0, None)
    fig = Figures("summary", working_set=300 * MI, usage=320 * MI, anon=280 * MI)
    e = _one(p, fig, fig)
    pic = e.pods[0].containers[0].cgroup
    assert pic is not None and pic.source == "summary" and pic.reclaim == "" and pic.active_file is None
    assert e.cause.kind == "no-memory-kill"
    text = render_text(e)
    assert "KERNEL (kubelet Summary API: working set, usage and RSS only, no collector pod)" in text
    # the peak is unknown: the recommendation stays on the working set
    assert e.recommendation.containers[0].basis == "working_set"


def test_workload_recommendation_sizes_the_limit_from_what_the_replicas_cannot_reclaim() -> None:
    """The highest unreclaimable memory of the replicas sizes the template's limit, not their peaks
    (memory.peak counts page cache, which fills the cgroup up to its limit)."""
    pods = [_api_pod(f"api-7d9f5c-r{i}", 0, None) for i in range(3)]
    usage = [PodUsage("shop", p.name, (ContainerUsage("api", 200 * MI),)) for p in pods]
    snap = _snapshot(pods, usage)
    anons = (300, 480, 350)  # unreclaimable: anon + kernel - reclaimable slab = anon + 4Mi
    cg = CgroupOverlay(
        pods={
            p.uid: PodCgroup(
                "node-1",
                p.uid,
                "shop",
                p.name,
                "burstable",
                cgroup_figures(a * MI, 10 * MI, 10 * MI),
                (ContainerCgroup("api", cgroup_figures(a * MI, 10 * MI, 10 * MI, peak=512 * MI)),),
            )
            for p, a in zip(pods, anons, strict=True)
        }
    )
    e = explain(
        list(snap.pods),
        snap,
        namespace="shop",
        target="deployment/api",
        workload=WorkloadRef("Deployment", "api"),
        cgroups=cg,
    )
    (rec,) = e.recommendation.containers
    assert rec.limit_basis == "unreclaimable"
    assert (
        rec.limit == 632 * MI
    )  # max(484Mi x 1.3 = 629.2Mi, 584Mi) up to an 8Mi step; the 512Mi peaks say nothing
    assert any("what the kernel cannot reclaim, 484Mi" in f for f in rec.formula)
    assert rec.basis == "working_set" and rec.request == 232 * MI  # 200Mi x 1.15, up to a step


def test_a_running_container_with_a_status_and_no_kills_adds_nothing() -> None:
    p = _api_pod("api-1", 0, None)
    p = msgspec.structs.replace(p, statuses=(ContainerStatus("api", state="running"),))
    e = _one(
        p,
        cgroup_figures(250 * MI, 30 * MI, 20 * MI, oom_kills=0, ooms=0),
        cgroup_figures(251 * MI, 30 * MI, 20 * MI, oom_kills=0, ooms=0),
    )
    assert e.cause.kind == "no-memory-kill" and e.cause.alternatives == ()
    assert any("counted 0 OOM kills" in ev.text for ev in e.cause.evidence)
