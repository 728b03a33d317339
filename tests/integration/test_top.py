"""`kubectl mem top` and `kubectl mem nodes` end to end: the real kubernetes client over real HTTPS
against the simulated cluster, through `cli.main` (and through the real kubectl binary)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from kubectl_mem.cli.env import Env
from kubectl_mem.cli.run import main
from kubectl_mem.report.document import API_VERSION
from kubectl_mem.sim import (
    Auth,
    Cluster,
    Rule,
    make_container,
    make_node,
    make_node_metrics,
    make_pod,
    make_pod_metrics,
    oom_killed,
)

Mi = 1 << 20


def run(argv: list[str], kubeconfig: Path | str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = list(argv) + (["--kubeconfig", str(kubeconfig)] if kubeconfig else [])
    code = main(args, Env(stdout=out, stderr=err, stdout_isatty=False))
    return code, out.getvalue(), err.getvalue()


def small_cluster() -> Cluster:
    """Two nodes; on n1 a pod over its request at 96% of its limit, an OOM-killed one and a BestEffort."""
    c = Cluster()
    c.add_node(make_node("n1", memory="8Gi"))
    c.add_node(make_node("n2", memory="8Gi"))
    hot = make_pod(
        "hot",
        "apps",
        "n1",
        containers=[make_container("api", requests={"memory": "256Mi"}, limits={"memory": "512Mi"})],
    )
    killed = make_pod(
        "killed",
        "apps",
        "n1",
        containers=[
            make_container(
                "worker",
                requests={"memory": "128Mi", "cpu": "100m"},
                limits={"memory": "128Mi", "cpu": "100m"},
            )
        ],
        restarts={"worker": 4},
        last_state={"worker": oom_killed(datetime(2026, 11, 22, 12, 0, tzinfo=UTC))},
    )
    idle = make_pod("idle", "web", "n1", containers=[make_container("nginx")])
    calm = make_pod(
        "calm",
        "web",
        "n2",
        containers=[make_container("app", requests={"memory": "1Gi"}, limits={"memory": "2Gi"})],
    )
    for pod in (hot, killed, idle, calm):
        c.add_pod(pod)
    c.set_pod_metrics(make_pod_metrics(hot, {"api": 492 * Mi}))
    c.set_pod_metrics(make_pod_metrics(killed, {"worker": 60 * Mi}))
    c.set_pod_metrics(make_pod_metrics(idle, {"nginx": 30 * Mi}))
    c.set_pod_metrics(make_pod_metrics(calm, {"app": 300 * Mi}))
    c.set_node_metrics(make_node_metrics("n1", 3 * 1024 * Mi))
    c.set_node_metrics(make_node_metrics("n2", 2 * 1024 * Mi))
    return c


@pytest.fixture
def small(sim_factory):
    return sim_factory(small_cluster())


def test_top_json_schema_and_values(small):
    code, out, err = run(["top", "-A", "-o", "json"], small.kubeconfig)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["apiVersion"] == API_VERSION and doc["kind"] == "PodMemoryList"
    pods = {p["name"]: p for p in doc["items"]}
    assert set(pods) == {"hot", "killed", "idle", "calm"}
    hot = pods["hot"]
    assert hot["qosClass"] == "Burstable"
    assert (
        hot["workingSetBytes"] == 492 * Mi
        and hot["requestBytes"] == 256 * Mi
        and hot["limitBytes"] == 512 * Mi
    )
    assert hot["containers"][0]["percentOfLimit"] == pytest.approx(96.09, abs=0.01)
    assert hot["eviction"]["text"] == "1" and hot["eviction"]["exact"]  # the only pod on n1 above its request
    assert hot["risk"]["level"] in ("high", "critical")
    assert pods["idle"]["qosClass"] == "BestEffort" and pods["idle"]["limitBytes"] is None
    assert pods["idle"]["containers"][0]["oomScoreAdj"] == 1000
    assert (
        pods["killed"]["oomKills"] == 1
        and pods["killed"]["containers"][0]["lastTermination"]["reason"] == "OOMKilled"
    )
    assert pods["killed"]["containers"][0]["oomScoreAdj"] == -997  # Guaranteed
    n1 = next(n for n in doc["nodes"] if n["name"] == "n1")
    assert n1["capacityBytes"] == 8 * 1024 * Mi and n1["evictionThresholdBytes"] == 100 * Mi
    assert n1["availableBytes"] == 5 * 1024 * Mi
    # default sort is risk: the most at risk first
    scores = [p["risk"]["score"] for p in doc["items"]]
    assert scores == sorted(scores, reverse=True)


def test_top_table_default_namespace_hides_namespace_column(small):
    code, out, _ = run(["top", "-n", "apps"], small.kubeconfig)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["NAME", "STATUS", "NODE"]
    assert [ln.split()[0] for ln in lines[1:]] == ["hot", "killed"] or {
        ln.split()[0] for ln in lines[1:]
    } == {
        "hot",
        "killed",
    }
    assert "96%" in next(ln for ln in lines if ln.startswith("hot"))


def test_namespace_scope_still_ranks_against_the_whole_node(small):
    """`idle` (web, BestEffort, no request) is over its request on n1: a -n apps view must still count it."""
    code, out, _ = run(["top", "-n", "apps", "-o", "json"], small.kubeconfig)
    assert code == 0
    pods = {p["name"]: p for p in json.loads(out)["items"]}
    assert set(pods) == {"hot", "killed"}
    all_code, all_out, _ = run(["top", "-A", "-o", "json"], small.kubeconfig)
    everywhere = {p["name"]: p for p in json.loads(all_out)["items"]}
    assert pods["hot"]["eviction"] == everywhere["hot"]["eviction"]
    assert pods["killed"]["eviction"] == everywhere["killed"]["eviction"]


def test_wide_no_headers_sort_and_containers(small):
    code, out, _ = run(["top", "-A", "-o", "wide", "--no-headers", "--sort-by", "name"], small.kubeconfig)
    assert code == 0
    names = [ln.split()[1] for ln in out.splitlines()]
    assert names == sorted(names)
    assert "NAMESPACE" not in out
    code, out, _ = run(["top", "-A", "--containers"], small.kubeconfig)
    assert "CONTAINER" in out.splitlines()[0] and "OOMKilled(137)" in out


def test_yaml_output_parses(small):
    code, out, _ = run(["top", "-A", "-o", "yaml"], small.kubeconfig)
    assert code == 0
    assert {p["name"] for p in yaml.safe_load(out)["items"]} == {"hot", "killed", "idle", "calm"}


def test_selectors_are_sent_to_the_server(small):
    pod = small.cluster.get("pods", "hot", "apps")
    app = (pod["metadata"].get("labels") or {}).get("app")
    code, out, _ = run(["top", "-A", "--field-selector", "spec.nodeName=n2", "-o", "json"], small.kubeconfig)
    assert code == 0 and [p["name"] for p in json.loads(out)["items"]] == ["calm"]
    code, out, _ = run(["top", "-A", "--node", "n2", "-o", "json"], small.kubeconfig)
    assert [p["name"] for p in json.loads(out)["items"]] == ["calm"]
    queries = [r.query for r in small.requests if r.path == "/api/v1/pods"]
    assert any("fieldSelector" in q and "spec.nodeName=n2" in str(q) for q in queries)
    if app:
        code, out, _ = run(["top", "-A", "-l", f"app={app}", "-o", "json"], small.kubeconfig)
        assert "hot" in [p["name"] for p in json.loads(out)["items"]]


def test_nodes_command_and_eviction_order(small):
    code, out, _ = run(["nodes", "-o", "json"], small.kubeconfig)
    assert code == 0
    doc = json.loads(out)
    assert doc["kind"] == "NodeMemoryList"
    n1 = next(n for n in doc["items"] if n["name"] == "n1")
    order = [e["name"] for e in n1["evictionOrder"]]
    assert order[0] == "hot" and set(order) == {"hot", "killed", "idle"}
    assert n1["limitsBytes"] is None and n1["podsWithoutLimit"] == 1  # idle has no limit
    code, out, _ = run(["nodes", "n1"], small.kubeconfig)
    assert code == 0 and "Eviction order on n1" in out
    assert out.index("hot") < out.index("idle")


def test_eviction_hard_flag_moves_the_threshold(small):
    code, out, _ = run(["nodes", "-o", "json", "--eviction-hard", "memory.available<10%"], small.kubeconfig)
    n1 = next(n for n in json.loads(out)["items"] if n["name"] == "n1")
    assert n1["evictionThresholdBytes"] == pytest.approx(0.1 * 8 * 1024 * Mi, rel=1e-6)


# ---- faults and bad input: one line on stderr, the documented exit code, partial results ----


def test_unknown_node(small):
    code, out, err = run(["nodes", "nope"], small.kubeconfig)
    assert code == 4 and err == 'error: node "nope" not found\n' and out == ""


def test_unknown_context(small):
    code, _, err = run(["top", "--context", "prod"], small.kubeconfig)
    assert code == 4 and err.startswith('error: context "prod" does not exist') and err.count("\n") == 1


def test_empty_namespace_says_so(small):
    code, out, err = run(["top", "-n", "nothing-here"], small.kubeconfig)
    assert code == 0 and out == "" and err == "No resources found in nothing-here namespace.\n"


def test_metrics_api_absent_gives_partial_results(small):
    small.faults.metrics = "absent"
    code, out, err = run(["top", "-A"], small.kubeconfig)
    assert code == 3
    assert "metrics API (metrics.k8s.io) is not served" in err and "metrics-server" in err
    assert "hot" in out and "killed" in out  # specs are still shown
    code, out, _ = run(["top", "-A", "-o", "json"], small.kubeconfig)
    doc = json.loads(out)
    assert doc["metadata"]["metricsAvailable"] is False and doc["warnings"][0]["source"] == "metrics"
    # the kubelet's Summary API fills the gap, and each figure says where it came from
    assert all(p["workingSetSource"] == "summary" and p["workingSetBytes"] for p in doc["items"])


def test_without_metrics_and_summary_nothing_is_invented(sim_factory, tmp_path):
    rules = [Rule(verbs=("list", "get"), resources=("pods", "nodes"))]
    srv = sim_factory(small_cluster(), auth=Auth({"t": ("erin", rules)}))
    kc = srv.write_kubeconfig(tmp_path / "kc", token="t")
    code, out, _ = run(["top", "-A", "-o", "json"], kc)
    assert code == 3
    doc = json.loads(out)
    assert all(p["workingSetBytes"] is None and p["workingSetSource"] is None for p in doc["items"])


def test_metrics_api_unavailable_503(small):
    small.faults.metrics = "unavailable"
    code, _, err = run(["top", "-A"], small.kubeconfig)
    assert code == 3 and "not served" in err


def test_unauthorized(small, tmp_path):
    kc = small.write_kubeconfig(tmp_path / "kc", token="wrong-token")
    code, out, err = run(["top", "-A"], kc)
    assert code == 1 and out == ""
    assert err.startswith("error: the API server rejected the credentials (401 Unauthorized)")


def test_forbidden_pods_names_the_permission(sim_factory, tmp_path):
    srv = sim_factory(
        small_cluster(), auth=Auth({"t": ("alice", [Rule(verbs=("list",), resources=("nodes",))])})
    )
    kc = srv.write_kubeconfig(tmp_path / "kc", token="t")
    code, _, err = run(["top", "-A"], kc)
    assert code == 1
    assert err == (
        'error: pods is forbidden: User "alice" cannot list resource "pods" in API group "" '
        "at the cluster scope\n"
    )


def test_forbidden_metrics_and_nodes_is_partial(sim_factory, tmp_path):
    rules = [Rule(verbs=("list", "get"), resources=("pods",))]
    srv = sim_factory(small_cluster(), auth=Auth({"t": ("bob", rules)}))
    kc = srv.write_kubeconfig(tmp_path / "kc", token="t")
    code, out, err = run(["top", "-A"], kc)
    assert code == 3 and "hot" in out
    assert 'cannot list resource "pods" in API group "metrics.k8s.io"' in err
    assert 'cannot list resource "nodes"' in err


def test_namespace_only_user_gets_ranks_among_visible_pods(sim_factory, tmp_path):
    rules = [Rule(verbs=("list", "get"), resources=("pods", "pods.metrics.k8s.io"), namespaces=("apps",))]
    srv = sim_factory(small_cluster(), auth=Auth({"t": ("carol", rules)}))
    kc = srv.write_kubeconfig(tmp_path / "kc", token="t")
    code, out, err = run(["top", "-n", "apps"], kc)
    assert code == 3 and "hot" in out
    assert "eviction ranks count only the pods shown" in err


def test_unreachable_server(tmp_path):
    kc = tmp_path / "kc"
    kc.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "dead",
                "clusters": [{"name": "dead", "cluster": {"server": "http://127.0.0.1:9"}}],
                "users": [{"name": "u", "user": {}}],
                "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "u"}}],
            }
        )
    )
    code, _, err = run(["top", "-A"], kc)
    assert (
        code == 1 and err == "error: cannot reach the API server at http://127.0.0.1:9: connection refused\n"
    )


def test_request_timeout(small):
    small.faults.latency_ms = 2000
    code, _, err = run(["top", "-A", "--request-timeout", "300ms"], small.kubeconfig)
    assert code == 1 and "timed out talking to the API server" in err


def test_throttling_is_retried_honouring_retry_after(small):
    small.faults.throttle(3, retry_after=0, path_prefix="/api/v1/pods")
    code, out, err = run(["top", "-A", "-o", "json"], small.kubeconfig)
    assert code == 0, err
    assert len(json.loads(out)["items"]) == 4
    statuses = [r.status for r in small.requests if r.path == "/api/v1/pods"]
    assert statuses[:4] == [429, 429, 429, 200]


def test_server_errors_retried_then_a_storm_fails_clearly(small):
    small.faults.fail(2, path_prefix="/api/v1/pods")
    code, _, err = run(["top", "-A"], small.kubeconfig)
    assert code == 0, err
    small.faults.throttle(50, retry_after=0, path_prefix="/api/v1/pods")
    code, out, err = run(["top", "-A"], small.kubeconfig)
    assert code == 1 and out == ""
    assert err.startswith("error: the API server kept failing on GET /api/v1/pods: too many requests (429)")
    assert "after 6 attempts" in err


def test_malformed_response(small):
    small.faults.malform("/api/v1/pods")
    code, _, err = run(["top", "-A"], small.kubeconfig)
    assert code == 1 and err.startswith("error: malformed response from the API server for GET /api/v1/pods")
    assert err.count("\n") == 1


def test_usage_errors():
    assert run(["top", "-A", "-n", "x"])[0] == 2
    code, _, err = run(["top", "--sort-by", "colour"])
    assert code == 2 and '--sort-by "colour"' in err
    code, _, err = run(["frobnicate"])
    assert code == 2 and err.startswith("error: argument COMMAND: invalid choice")
    assert run(["top", "-o", "xml"])[0] == 2


# ---- through the real kubectl binary ----


def _plugin_env(kubeconfig: Path | None = None) -> dict[str, str]:
    bindir = Path(sys.executable).parent
    assert (bindir / "kubectl-mem").exists(), "kubectl-mem must be installed in the test environment"
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    if kubeconfig:
        env["KUBECONFIG"] = str(kubeconfig)
    return env


def test_through_real_kubectl(small):
    proc = subprocess.run(
        ["kubectl", "mem", "top", "-A", "-o", "json"],
        env=_plugin_env(small.kubeconfig),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert {p["name"] for p in json.loads(proc.stdout)["items"]} == {"hot", "killed", "idle", "calm"}
    proc = subprocess.run(
        ["kubectl", "mem", "nodes", "nope"], env=_plugin_env(small.kubeconfig), capture_output=True, text=True
    )
    assert proc.returncode == 4 and proc.stderr == 'error: node "nope" not found\n'
    assert "Traceback" not in proc.stderr


def test_demo_through_real_kubectl():
    proc = subprocess.run(
        ["kubectl", "mem", "top", "--demo"], env=_plugin_env(), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    header = proc.stdout.splitlines()[0].split()
    assert header[:3] == ["NAME", "STATUS", "NODE"] and header[-1] == "RISK"  # one namespace: the context's
    assert len(proc.stdout.splitlines()) > 30
    proc = subprocess.run(
        ["kubectl", "mem", "top", "--demo", "-A"],
        env=_plugin_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[:2] == ["NAMESPACE", "NAME"] and len(proc.stdout.splitlines()) > 60
