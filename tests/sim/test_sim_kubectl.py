"""The real kubectl against the simulator: discovery fallback, tables, pagination, metrics, errors."""

from __future__ import annotations

import json

from sim_helpers import Kubectl, SimFactory

from kubectl_mem.sim import Auth, Cluster, Faults, Rule, make_container, make_node, make_pod


def test_get_pods_all_namespaces_json_pages_through_everything(
    sim_factory: SimFactory, kubectl: Kubectl
) -> None:
    from kubectl_mem.sim import DEFAULT_NOW, generate

    srv = sim_factory(generate(seed=3, nodes=8, pods=1203, now=DEFAULT_NOW))
    out = kubectl(srv.kubeconfig, "get", "pods", "-A", "-o", "json", check=True)
    items = json.loads(out.stdout)["items"]
    assert len(items) == 1203
    assert len({(p["metadata"]["namespace"], p["metadata"]["name"]) for p in items}) == 1203
    lists = [r for r in srv.requests if r.path == "/api/v1/pods"]
    assert [r.query.get("limit") for r in lists] == ["500", "500", "500"]
    assert "continue" not in lists[0].query and all("continue" in r.query for r in lists[1:])


def test_get_pods_in_namespace_prints_server_side_table(sim, kubectl: Kubectl) -> None:
    out = kubectl(sim.kubeconfig, "get", "pods", "-n", "kube-system", check=True)
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert any(line.startswith("etcd-cp-1 ") and " Running " in line for line in lines)
    names = sorted(p["metadata"]["name"] for p in sim.cluster.list("pods", "kube-system"))
    assert [line.split()[0] for line in lines[1:]] == names
    # kubectl asked for a Table and took the plain-JSON discovery answer (aggregated discovery fallback).
    accepts = [r.headers.get("accept", "") for r in sim.requests]
    assert any("as=Table" in a for a in accepts)
    assert any("apidiscovery.k8s.io" in a for a in accepts)


def test_get_nodes_table(sim, kubectl: Kubectl) -> None:
    out = kubectl(sim.kubeconfig, "get", "nodes", "-o", "wide", check=True)
    lines = out.stdout.splitlines()
    assert lines[0].split()[:5] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert len(lines) == 1 + len(sim.cluster.list("nodes"))
    assert any(line.split()[:3] == ["cp-1", "Ready", "control-plane"] for line in lines)
    assert "containerd://1.7.24" in out.stdout


def test_top_pods_and_nodes(sim, kubectl: Kubectl) -> None:
    pods = kubectl(sim.kubeconfig, "top", "pods", "-A", check=True).stdout.splitlines()
    assert pods[0].split() == ["NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert len(pods) - 1 == len(sim.cluster.list("pods.metrics.k8s.io"))
    nodes = kubectl(sim.kubeconfig, "top", "nodes", check=True).stdout.splitlines()
    assert nodes[0].split()[:2] == ["NAME", "CPU(cores)"]
    assert len(nodes) - 1 == len(sim.cluster.list("nodes"))


def test_top_without_metrics_server(sim_factory: SimFactory, kubectl: Kubectl) -> None:
    srv = sim_factory(faults=Faults(metrics="absent"))
    for args in (("top", "pods", "-A"), ("top", "nodes")):
        out = kubectl(srv.kubeconfig, *args)
        assert out.returncode == 1
        assert out.stderr.strip().splitlines()[-1] == "error: Metrics API not available"


def test_get_missing_pod_prints_not_found(sim, kubectl: Kubectl) -> None:
    out = kubectl(sim.kubeconfig, "get", "pod", "nope")
    assert out.returncode == 1
    assert out.stderr.strip() == 'Error from server (NotFound): pods "nope" not found'


def test_forbidden_through_kubectl(sim_factory: SimFactory, kubectl: Kubectl, tmp_path) -> None:
    c = Cluster()
    c.add_node(make_node("n1"))
    c.add_pod(make_pod("web", "team-a", "n1", [make_container("app", "nginx:1.27")]))
    auth = Auth(
        {"alice-token": ("alice", [Rule(verbs=("get", "list"), resources=("pods",), namespaces=("team-a",))])}
    )
    srv = sim_factory(c, auth=auth)
    kc = srv.write_kubeconfig(tmp_path / "alice", token="alice-token", namespace="team-a")
    ok = kubectl(kc, "get", "pods")
    assert ok.returncode == 0 and "web" in ok.stdout
    denied = kubectl(kc, "get", "pods", "-A")
    assert denied.returncode == 1
    assert denied.stderr.strip() == (
        'Error from server (Forbidden): pods is forbidden: User "alice" cannot list '
        'resource "pods" in API group "" at the cluster scope'
    )
    nodes = kubectl(kc, "get", "nodes")
    assert (
        'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope'
        in (nodes.stderr)
    )


def test_unauthorized_through_kubectl(sim, kubectl: Kubectl, tmp_path) -> None:
    kc = sim.write_kubeconfig(tmp_path / "bad", token="wrong")
    out = kubectl(kc, "get", "pods")
    assert out.returncode == 1
    # Discovery reads raw bodies, so kubectl shows client-go's generic 401 text, as with a real apiserver.
    last = out.stderr.strip().splitlines()[-1]
    assert (
        last == "error: You must be logged in to the server (the server has asked for the client to provide "
        "credentials)"
    )
