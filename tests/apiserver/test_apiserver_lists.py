"""The plugin's LIST paths against the real apiserver, through the real kubectl: the same answers as
the simulated cluster serving the same objects; pagination, continue, selectors, PriorityClasses, events."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from apiworld import LIMITED_NAMESPACES, World, mem, oom_killed_pod
from compare import differences

from kubectl_mem.kube import decode
from kubectl_mem.kube.config import connect
from kubectl_mem.kube.http import Transport
from kubectl_mem.kube.lists import list_all

pytestmark = pytest.mark.apiserver

# What differs between two servers holding the same objects: the UIDs the real one assigned, when the
# document was taken, the context's name.
VOLATILE = ("uid", "takenAt", "metricsTimestamp", "context")


# "OOMKilled 58s ago": each command reads the clock when it runs, and the two runs are seconds apart
# (more on a loaded machine), so sentences compare with their ages masked; the times they come from
# are compared where the records are (test_apiserver_fidelity).
AGO = re.compile(r"\b\d+[smhd] ago\b")


def _strip(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _strip(v) for k, v in doc.items() if k not in VOLATILE}
    if isinstance(doc, list):
        return [_strip(v) for v in doc]
    if isinstance(doc, str):
        return AGO.sub("<age> ago", doc)
    return doc


def _both(world: World, *args: str, user: str = "admin", namespace: str | None = None) -> tuple[Any, Any]:
    real = mem(world.real_kubeconfig(user, namespace), *args)
    sim = mem(world.sim_kubeconfig(user, namespace), *args)
    assert real.returncode == sim.returncode == 0, (real.stderr, sim.stderr)
    assert real.stderr == sim.stderr
    return json.loads(real.stdout), json.loads(sim.stdout)


def test_top_all_namespaces_is_what_the_simulated_cluster_shows(metrics_api: World) -> None:
    real, sim = _both(metrics_api, "top", "-A", "-o", "json")
    assert len(real["items"]) == len(metrics_api.loaded.pods) == 60
    assert sum(p["workingSetBytes"] is not None for p in real["items"]) > 40
    assert not differences(_strip(real), _strip(sim))


def test_nodes_and_one_node_are_what_the_simulated_cluster_shows(metrics_api: World) -> None:
    real, sim = _both(metrics_api, "nodes", "-o", "json")
    assert {n["name"] for n in real["items"]} == {"cp-1", "node-1", "node-2", "node-3"}
    assert not differences(_strip(real), _strip(sim))
    real, sim = _both(metrics_api, "nodes", "node-2", "-o", "json")
    assert [n["name"] for n in real["items"]] == ["node-2"]
    assert not differences(_strip(real), _strip(sim))


@pytest.mark.parametrize(
    "args",
    [
        ("-n", "team-search"),
        ("-A", "-l", "app in (web-6,billing-3)"),
        ("-A", "-l", "app!=web-6,tier"),
        ("-A", "--field-selector", "status.phase=Failed"),
        ("-A", "--field-selector", "spec.nodeName=node-1,status.phase!=Pending"),
        ("-A", "--node", "node-3"),
    ],
    ids=["namespace", "label-in", "label-notin-exists", "field-phase", "field-node-and-not", "node"],
)
def test_selectors_are_applied_by_the_server(metrics_api: World, args: tuple[str, ...]) -> None:
    real, sim = _both(metrics_api, "top", *args, "-o", "json")
    assert not differences(_strip(real), _strip(sim))
    if args[0] == "-n":
        assert {p["namespace"] for p in real["items"]} == {"team-search"}
    else:
        assert real["items"], "the selector should match some pods"


def test_pages_of_three_with_continue_tokens_from_the_real_server(metrics_api: World) -> None:
    """The plugin's paginated LIST (kube/lists.py) with a small page: every continue token is the real
    server's, and the result is the one unpaginated list."""
    conn = connect(kubeconfig=str(metrics_api.real_kubeconfig()))
    t = Transport(conn)
    whole = list_all(t, "/api/v1/pods", decode.pods_page, limit=None)
    before = t.requests
    paged = list_all(t, "/api/v1/pods", decode.pods_page, limit=3)
    assert t.requests - before == 20  # 60 pods, 3 a page
    assert [p.key for p in paged] == [p.key for p in whole] == sorted(p.key for p in whole)
    selected = list_all(t, "/api/v1/pods", decode.pods_page, [("labelSelector", "app=web-6")], limit=1)
    assert {p.name.rsplit("-", 2)[0] for p in selected} == {"web-6"} and len(selected) > 1


def test_priority_classes_give_each_pod_its_class_value(metrics_api: World) -> None:
    classes = {
        pc["metadata"]["name"]: pc["value"]
        for pc in metrics_api.cluster.list("priorityclasses.scheduling.k8s.io")
    }
    real, _ = _both(metrics_api, "top", "-A", "-o", "json")
    assert {p["priorityClassName"] for p in real["items"]} >= {"system-node-critical", "default-priority"}
    for p in real["items"]:
        assert p["priority"] == classes[p["priorityClassName"]], p["name"]
        assert p["eviction"]["critical"] == p["priorityClassName"].startswith("system-"), p["name"]


def test_explain_finds_node_events_through_field_selectors(metrics_api: World) -> None:
    pod = oom_killed_pod(metrics_api.cluster)
    ns, name, node = pod["metadata"]["namespace"], pod["metadata"]["name"], pod["spec"]["nodeName"]
    real, sim = _both(metrics_api, "explain", f"pod/{name}", "-n", ns, "-o", "json")
    assert not differences(_strip(real), _strip(sim))
    assert f"event SystemOOM on node {node}" in json.dumps(real)


def test_explain_a_deployment_and_its_node_events(metrics_api: World) -> None:
    ev = next(e for e in metrics_api.cluster.list("events") if e["reason"] == "Evicted")
    ns = ev["metadata"]["namespace"]
    deploy = ev["involvedObject"]["name"].rsplit("-", 2)[0]
    real, sim = _both(metrics_api, "explain", f"deploy/{deploy}", "-n", ns, "-o", "json")
    assert not differences(_strip(real), _strip(sim))


def test_limited_namespaces_exist_in_the_world(world: World) -> None:
    assert set(LIMITED_NAMESPACES) <= set(world.loaded.namespaces)
    assert not world.loaded.rejected, world.loaded.rejected
