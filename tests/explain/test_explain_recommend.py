"""recommend.py on records: the formula, the OOM bump, QoS after the change, the command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "unit"))

from unit_factories import ctr, pod, res  # noqa: E402

from kubectl_mem.model.recommend import ContainerUsageInput, oom_bump, recommend  # noqa: E402

MI = 1 << 20


def test_vpa_oom_bump():
    assert oom_bump(256 * MI) == 356 * MI  # +100Mi wins below 500Mi
    assert oom_bump(1024 * MI) == 1229 * MI  # x1.2 wins above, rounded up to Mi


def test_oom_killed_deployment_pod():
    p = pod(
        "api-7d9f-x",
        ctr("api", res("100m", "256Mi", "", "512Mi")),
        labels=(("pod-template-hash", "7d9f"),),
        owner_kind="ReplicaSet",
        owner_name="api-7d9f",
    )
    r = recommend(
        p,
        {"api": ContainerUsageInput("api", working_set=470 * MI, oom_killed=True)},
        owner_kind="Deployment",
        owner_name="api",
    )
    c = r.containers[0]
    assert (c.request, c.limit, c.oom_bump) == (541 * MI, 615 * MI, True)
    assert (
        r.command == "kubectl set resources deployment/api -n default -c=api "
        "--requests=memory=541Mi --limits=memory=615Mi"
    )
    assert r.qos_after == "Burstable"
    assert any("one working-set sample" in x for x in r.caveats)


def test_limit_never_lowered_from_one_sample():
    p = pod("x", ctr("app", res("", "4Gi", "", "8Gi")))
    r = recommend(
        p,
        {"app": ContainerUsageInput("app", working_set=100 * MI)},
        owner_kind="StatefulSet",
        owner_name="db",
    )
    c = r.containers[0]
    assert c.limit == 8 << 30 and c.request == 115 * MI
    assert any("one sample is no reason to lower it" in f for f in c.formula)


def test_peak_is_preferred_and_named():
    p = pod("x", ctr("app", res("", "100Mi", "", "")))
    r = recommend(
        p,
        {
            "app": ContainerUsageInput(
                "app", working_set=100 * MI, peak=300 * MI, peak_source="cgroup memory.peak"
            )
        },
    )
    c = r.containers[0]
    assert c.basis == "peak" and "memory.peak" in c.usage_source
    assert c.limit == 400 * MI  # max(300 x 1.3 = 390, 300 + 100) -> 400Mi


def test_guaranteed_stays_guaranteed_and_bare_pod_gets_resize_patch():
    p = pod("x", ctr("api", res("1", "512Mi", "1", "512Mi")), qos_class="Guaranteed")
    r = recommend(p, {"api": ContainerUsageInput("api", working_set=480 * MI)})
    c = r.containers[0]
    assert c.request == c.limit == 624 * MI
    assert r.qos_after == "Guaranteed" and r.command_kind == "resize"
    patch = json.loads(r.command.split("-p '")[1].rstrip("'"))
    assert patch == {
        "spec": {
            "containers": [
                {"name": "api", "resources": {"requests": {"memory": "624Mi"}, "limits": {"memory": "624Mi"}}}
            ]
        }
    }


def test_best_effort_becomes_burstable():
    p = pod("x", ctr("app"), qos_class="BestEffort")
    r = recommend(
        p,
        {"app": ContainerUsageInput("app", working_set=200 * MI)},
        owner_kind="DaemonSet",
        owner_name="agent",
    )
    assert (r.qos_before, r.qos_after) == ("BestEffort", "Burstable")
    assert r.command.startswith("kubectl set resources daemonset/agent")


def test_sidecar_uses_a_strategic_merge_patch():
    p = pod(
        "x", ctr("proxy", res("", "64Mi", "", "128Mi"), kind="sidecar"), ctr("app", res("", "1Gi", "", "1Gi"))
    )
    r = recommend(
        p,
        {"proxy": ContainerUsageInput("proxy", working_set=200 * MI)},
        owner_kind="Deployment",
        owner_name="web",
    )
    assert r.command_kind == "patch"
    assert '"initContainers":[{"name":"proxy"' in r.command
    assert r.command.startswith(
        'kubectl patch deployment/web -n default --type=strategic -p \'{"spec":{"template"'
    )


def test_no_metrics_changes_nothing():
    p = pod("x", ctr("app", res("", "1Gi", "", "2Gi")))
    r = recommend(p, {})
    assert r.command == "" and r.containers[0].basis == "none"
