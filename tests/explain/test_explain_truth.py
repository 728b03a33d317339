"""explain says what the snapshot judged, and nothing false (issue 10.4 and 10.7)."""

from __future__ import annotations

from kubectl_mem.model.explain import explain
from kubectl_mem.model.records import (
    ContainerSpec,
    ContainerStatus,
    ContainerUsage,
    Node,
    NodeUsage,
    Pod,
    PodUsage,
    Resources,
    Termination,
)
from kubectl_mem.model.snapshot import build_snapshot
from kubectl_mem.report.explain_text import render_text

MI, GI = 1 << 20, 1 << 30
TAKEN = "2026-05-01T12:00:00Z"


def _pod(name: str, *, limit: int | None = 3 * GI, request: int = GI, **kw) -> Pod:
    statuses = kw.pop("statuses", (ContainerStatus("app", ready=True, state="running"),))
    return Pod(
        namespace="shop",
        name=name,
        uid=f"u-{name}",
        node="node-1",
        phase="Running",
        containers=(ContainerSpec("app", resources=Resources(memory_request=request, memory_limit=limit)),),
        statuses=statuses,
        **kw,
    )


def _explain(pods: list[Pod], usage: dict[str, int], target: str, node_ws: int = 8 * GI):
    s = build_snapshot(
        pods,
        [Node("node-1", capacity_memory=16 * GI, allocatable_memory=15 * GI)],
        [PodUsage("shop", n, (ContainerUsage("app", ws),)) for n, ws in usage.items()],
        [NodeUsage("node-1", node_ws)],
        taken_at=TAKEN,
    )
    pv = next(p for p in s.pods if p.pod.name == target)
    return pv, explain([pv], s, namespace="shop", target=f"pod/{target}")


def test_a_pod_top_rates_critical_is_never_no_memory_problem() -> None:
    """10.4: top said critical ("app at 99% of its 3Gi limit"), explain said "No memory problem"."""
    pv, e = _explain([_pod("api")], {"api": 3035 * MI}, "api")
    assert pv.risk.level == "critical"
    assert "No memory problem" not in e.verdict
    assert e.verdict.startswith("No OOM kill or eviction is recorded, but the pod is at critical risk")
    assert "app at 99% of its 3Gi limit" in e.verdict
    assert e.pods[0].risk_level == "critical" and e.pods[0].status == "Running"


def test_the_place_is_top_s_and_a_cut_list_says_so() -> None:
    """10.4: EVICT# 12 and '9th to be evicted'; '9th in line of 13'; 5 pods 'ranked before it', uncut."""
    pods = [_pod(f"p{i:02d}", limit=None, request=256 * MI) for i in range(9)]
    usage = {f"p{i:02d}": (900 - 10 * i) * MI for i in range(9)}  # all over their request, p00 most
    proxy = _pod("kube-proxy", limit=None, request=0, config_source="file")  # critical: no place
    pv, e = _explain([*pods, proxy], {**usage, "kube-proxy": 2 * GI}, "p08")
    ev = e.pods[0].eviction
    assert ev is not None and ev.place == pv.eviction.text == "9" and ev.of == 9
    assert ev.words == "9th of 9 to be evicted on node-1"
    assert len(ev.ahead) == 5 and ev.ahead_total == 8
    text = render_text(e, width=200)
    assert "EVICTION: 9th of 9 to be evicted on node-1 (EVICT# 9)" in text
    assert "surely ranked before it (5 of 8 shown):" in text


def test_crash_loop_is_said_in_the_verdict() -> None:
    """10.7: a CrashLoopBackOff pod's verdict never said CrashLoopBackOff."""
    crashing = _pod(
        "worker",
        statuses=(
            ContainerStatus(
                "app",
                restart_count=7,
                state="waiting",
                state_reason="CrashLoopBackOff",
                last_termination=Termination("OOMKilled", 137, finished_at="2026-05-01T11:58:00Z"),
            ),
        ),
    )
    pv, e = _explain([crashing], {}, "worker")
    assert pv.status == "CrashLoopBackOff"
    assert "CrashLoopBackOff" in e.verdict


def test_node_critical_burstable_pod_is_not_explained_as_guaranteed() -> None:
    """10.7: oom_score_adj -997 of a Burstable system-node-critical pod had the Guaranteed wording."""
    ds = _pod("fluent-bit", priority=2_000_001_000, priority_class_name="system-node-critical")
    pv, e = _explain([ds], {"fluent-bit": 100 * MI}, "fluent-bit")
    assert pv.qos_class == "Burstable" and pv.containers[0].oom_score_adj == -997
    meaning = e.pods[0].oom_score.meaning
    assert "system-node-critical" in meaning and "Burstable here" in meaning
    assert "a Guaranteed pod:" not in meaning


def test_a_raised_limit_says_what_it_does_to_a_jvm_sized_from_it() -> None:
    """10.6: a JVM sized by MaxRAMPercentage was told to raise its limit without being told the heap
    grows with it."""
    from kubectl_mem.model.records import EnvVar

    jvm = Pod(
        namespace="shop",
        name="billing",
        uid="u-billing",
        node="node-1",
        phase="Running",
        containers=(
            ContainerSpec(
                "app",
                image="eclipse-temurin:21-jre",
                resources=Resources(memory_request=GI, memory_limit=GI),
                env=(EnvVar("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=75"),),
            ),
        ),
        statuses=(
            ContainerStatus(
                "app",
                ready=True,
                state="running",
                restart_count=2,
                last_termination=Termination("OOMKilled", 137, finished_at="2026-05-01T11:50:00Z"),
            ),
        ),
    )
    _pv, e = _explain([jvm], {"billing": 900 * MI}, "billing")
    rec = e.pods[0].recommendation
    assert rec.containers[0].limit == 1280 * MI
    (line,) = [c for c in rec.caveats if "the JVM sizes its heap from the limit" in c]
    assert "its max heap grows from 768Mi to 960Mi" in line
