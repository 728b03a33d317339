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
    assert oom_bump(256 * MI) == 360 * MI  # +100Mi wins below 500Mi: 356Mi, up to an 8Mi step
    assert oom_bump(1024 * MI) == 1280 * MI  # x1.2 wins above: 1228.8Mi, up to a 64Mi step above 1Gi


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
    assert (c.request, c.limit, c.oom_bump) == (544 * MI, 616 * MI, True)
    assert (
        r.command == "kubectl set resources deployment/api -n default -c=api "
        "--requests=memory=544Mi --limits=memory=616Mi"
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
    assert c.limit == 8 << 30 and c.request == 120 * MI  # 115Mi up to an 8Mi step
    assert any("one sample is no reason to lower it" in f for f in c.formula)


def test_a_peak_sizes_the_limit_and_is_named():
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
    assert c.basis == "peak" and c.limit_basis == "peak"  # a working set seen higher than now
    assert c.limit == 400 * MI  # max(300 x 1.3 = 390, 300 + 100) -> 400Mi
    assert any("of the usage 300Mi = max(300Mi x 1.3 = 390Mi, 300Mi + 100Mi = 400Mi)" in f for f in c.formula)


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


# -- issue 10.6: recommendations that do not feed on page cache, and say their arithmetic exactly ----


def test_a_peak_at_the_limit_from_page_cache_is_no_reason_to_raise_it():
    """--cgroups: memory.peak = the limit because page cache filled the cgroup; what the kernel cannot
    reclaim is what sizes the limit."""
    p = pod("x", ctr("app", res("", "512Mi", "", "768Mi")))
    usage = ContainerUsageInput(
        "app", working_set=500 * MI, peak=768 * MI, peak_is_cgroup=True, unreclaimable=300 * MI
    )
    c = recommend(p, {"app": usage}, owner_kind="Deployment", owner_name="web").containers[0]
    assert c.limit == 768 * MI and not c.limit_changed and c.limit_basis == "unreclaimable"
    assert any("reached the limit because page cache fills free room" in f for f in c.formula)
    # and where the unreclaimable part itself is tight, the limit follows it, not the peak
    tight = ContainerUsageInput(
        "app", working_set=700 * MI, peak=768 * MI, peak_is_cgroup=True, unreclaimable=618 * MI
    )
    c = recommend(p, {"app": tight}).containers[0]
    assert c.limit == 808 * MI  # max(618 x 1.3 = 803.4, 718) -> 808Mi, not from the 768Mi peak
    assert any("what the kernel cannot reclaim, 618Mi" in f for f in c.formula)


def test_arithmetic_shows_the_exact_inputs_and_a_rounded_step():
    """10.6: 'max(3Gi x 1.3, 3Gi + 100Mi) -> 3946Mi' where the input was 3035Mi and 3Gi x 1.3 is 3994Mi."""
    p = pod("x", ctr("app", res("", "1Gi", "", "")))
    c = recommend(p, {"app": ContainerUsageInput("app", working_set=3035 * MI)}).containers[0]
    line = next(f for f in c.formula if f.startswith("limit"))
    assert "max(3035Mi x 1.3 = 3945.5Mi, 3035Mi + 100Mi = 3135Mi) = 3945.5Mi -> 3968Mi" in line
    assert c.limit == 3968 * MI and c.limit % (64 * MI) == 0
    assert c.request == round(3035 * 1.15 / 64 + 0.5) * 64 * MI  # 3490.25Mi up to 3520Mi


def test_unchanged_values_are_not_changes_nor_in_the_command():
    """10.6: 'request 256Mi -> 256Mi' was shown as a change and put into the command."""
    p = pod("x", ctr("api", res("", "256Mi", "", "512Mi")))
    r = recommend(
        p,
        {"api": ContainerUsageInput("api", working_set=222 * MI, oom_killed=True)},
        owner_kind="Deployment",
        owner_name="api",
    )
    c = r.containers[0]
    assert c.request == 256 * MI and not c.request_changed and c.limit_changed
    assert "--requests" not in r.command and "--limits=memory=616Mi" in r.command


def test_no_limit_for_a_node_critical_daemonset_from_one_sample():
    p = pod(
        "fluent-bit-x",
        ctr("fb", res("", "64Mi", "", "")),
        priority=2_000_001_000,
        priority_class_name="system-node-critical",
    )
    r = recommend(
        p, {"fb": ContainerUsageInput("fb", working_set=300 * MI)}, owner_kind="DaemonSet", owner_name="fb"
    )
    c = r.containers[0]
    assert c.limit is None and not c.limit_changed
    assert any("node-critical pod" in f and "not given a limit from one sample" in f for f in c.formula)
    assert "--limits" not in r.command
