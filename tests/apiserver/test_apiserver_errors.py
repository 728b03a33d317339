"""Errors as a real apiserver gives them, through the real kubectl: 401, 403 for real RBAC users (a viewer,
a user limited to two namespaces, a user with no role), 404, and the metrics API absent, present and down.
Each case is run against the simulated cluster too: the user must see the same lines and exit code."""

from __future__ import annotations

import json
import subprocess

import pytest
from apiworld import LIMITED_NAMESPACES, World, mem

from kubectl_mem.model.quantity import memory_bytes

pytestmark = pytest.mark.apiserver

INSTALL_METRICS = (
    "warning: usage unknown: the metrics API (metrics.k8s.io) is not served; install metrics-server "
    "(https://github.com/kubernetes-sigs/metrics-server) to see working sets\n"
)


def no_summary(pods: int, nodes: int) -> str:
    """The Summary API fill-in refused: the tier's nodes have no kubelet the apiserver may dial
    (tests/apiserver/mirror.py), and the simulated cluster answers alike (conftest.refuse_node_proxy)."""
    return (
        f"warning: usage of {pods} running pods on {nodes} node{'s' if nodes > 1 else ''} unknown: no "
        "metrics.k8s.io figure and the kubelet's Summary API not answering; their eviction places are "
        "shown as ranges\n"
    )


# the running pods the scenario's metrics-server has no figure for (those it has are all running)
NO_METRICS = no_summary(2, 1)
NO_USAGE_AT_ALL = no_summary(57, 4)


def _both(
    world: World, *args: str, user: str = "admin", namespace: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run against the real server and the simulated one; they must agree; the real result."""
    real = mem(world.real_kubeconfig(user, namespace), *args)
    sim = mem(world.sim_kubeconfig(user, namespace), *args)
    assert (real.returncode, real.stderr) == (sim.returncode, sim.stderr)
    assert "Traceback" not in real.stderr
    if args[-2:] == ("-o", "json"):
        assert _items(real) == _items(sim)
    return real


def _items(r: subprocess.CompletedProcess[str]) -> list[tuple[str, str, int | None]]:
    if not r.stdout:
        return []
    return [(p["namespace"], p["name"], p["workingSetBytes"]) for p in json.loads(r.stdout)["items"]]


def test_a_bad_token_is_a_401_and_exit_1(world: World) -> None:
    for kc in (world.real_kubeconfig(), world.sim_kubeconfig()):
        bad = kc.with_name(f"bad-{kc.name}")
        bad.write_text(kc.read_text().replace(world.cp.tokens["admin"], "not-a-token"))
        r = mem(bad, "top", "-A")
        assert r.returncode == 1
        assert r.stderr == (
            "error: the API server rejected the credentials (401 Unauthorized) "
            "(log in again or check the user in your kubeconfig)\n"
        )


def test_a_user_without_roles_gets_the_servers_403_message(world: World) -> None:
    r = _both(world, "top", "-A", user="nobody")
    assert r.returncode == 1
    assert r.stderr == (
        'error: pods is forbidden: User "nobody" cannot list resource "pods" in API group "" '
        "at the cluster scope\n"
    )
    r = _both(world, "nodes", user="nobody")
    assert r.returncode == 1 and 'is forbidden: User "nobody" cannot list' in r.stderr


def test_the_viewer_sees_everything_with_the_readonly_role(metrics_api: World) -> None:
    r = _both(metrics_api, "top", "-A", "-o", "json", user="viewer")
    assert r.returncode == 0 and r.stderr == NO_METRICS
    assert len(_items(r)) == 60
    r = _both(
        metrics_api,
        "explain",
        "pod/" + _pod_in(metrics_api, "team-search"),
        "-n",
        "team-search",
        user="viewer",
    )
    assert r.returncode == 0 and r.stderr == ""


def _pod_in(world: World, namespace: str) -> str:
    return next(
        p["metadata"]["name"] for p in world.cluster.list("pods") if p["metadata"]["namespace"] == namespace
    )


def test_a_user_limited_to_two_namespaces_gets_partial_results_and_exit_3(metrics_api: World) -> None:
    ns = LIMITED_NAMESPACES[0]
    r = _both(metrics_api, "top", "-o", "json", user="limited", namespace=ns)
    assert r.returncode == 3
    items = _items(r)
    assert items and {n for n, _, _ in items} == {ns}
    assert all(ws is not None for _, _, ws in items if ws is not None)
    warnings = r.stderr.splitlines()
    assert warnings and all(w.startswith("warning: ") for w in warnings)
    assert any('User "limited" cannot list resource "nodes"' in w for w in warnings), warnings
    assert any("eviction ranks count only the pods shown" in w for w in warnings), warnings


def test_a_limited_user_outside_its_namespaces_is_refused(world: World) -> None:
    r = _both(world, "top", "-n", "team-catalog", user="limited")
    assert r.returncode == 1
    assert r.stderr == (
        'error: pods is forbidden: User "limited" cannot list resource "pods" in API group "" '
        'in the namespace "team-catalog"\n'
    )
    r = _both(world, "top", "-A", user="limited")
    assert r.returncode == 1 and "at the cluster scope" in r.stderr


def test_unknown_pod_node_and_namespace(world: World) -> None:
    r = _both(world, "explain", "pod/nope", "-n", "team-search")
    assert (r.returncode, r.stderr) == (4, 'error: pod "nope" not found in namespace "team-search"\n')
    r = _both(world, "nodes", "nope")
    assert (r.returncode, r.stderr) == (4, 'error: node "nope" not found\n')
    r = _both(world, "explain", "pod/nope", "-n", "no-such-namespace")
    assert r.returncode == 4
    # listing pods of a namespace that does not exist is an empty list to the apiserver
    r = _both(world, "top", "-n", "no-such-namespace")
    assert r.returncode in (0, 3) and "No resources found in no-such-namespace namespace." in r.stderr


def test_without_metrics_server_top_says_to_install_it(no_metrics_api: World) -> None:
    r = _both(no_metrics_api, "top", "-A", "-o", "json")
    assert r.returncode == 3
    assert r.stderr == INSTALL_METRICS + NO_USAGE_AT_ALL
    assert len(_items(r)) == 60 and all(ws is None for _, _, ws in _items(r))
    r = _both(no_metrics_api, "nodes")
    assert r.returncode == 3 and r.stderr.startswith(INSTALL_METRICS)


def test_with_metrics_server_down_top_says_so(broken_metrics_api: World) -> None:
    r = _both(broken_metrics_api, "top", "-A", "-o", "json")
    assert r.returncode == 3
    assert r.stderr == INSTALL_METRICS + NO_USAGE_AT_ALL


def test_with_metrics_server_top_shows_its_working_sets(metrics_api: World) -> None:
    r = _both(metrics_api, "top", "-A", "-o", "json")
    assert r.returncode == 0 and r.stderr == NO_METRICS
    served = {
        (m["metadata"]["namespace"], m["metadata"]["name"]): sum(
            _bytes(c["usage"]["memory"]) for c in m["containers"]
        )
        for m in metrics_api.cluster.list("pods.metrics.k8s.io")
    }
    shown = {(ns, name): ws for ns, name, ws in _items(r) if ws is not None}
    assert shown and shown == {k: v for k, v in served.items() if k in shown}
    assert any(user == "admin" for user, _ in metrics_api.metrics.requests)


def _bytes(q: str) -> int:
    return memory_bytes(q)
