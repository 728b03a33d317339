"""The collector pod as a real apiserver's admission chain sees it: created and validated (defaults,
QoS, ServiceAccount and Pod Security admission), Pending forever without a kubelet and then deleted,
refused by Pod Security `baseline`, refused by RBAC; nothing left behind in any case."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from apiworld import LIMITED_NAMESPACES, World, mem

pytestmark = pytest.mark.apiserver

PSA = "pod-security.kubernetes.io/enforce"
PRIVILEGED = "kmem-collect"
BASELINE = "kmem-baseline"
MANAGED = "app.kubernetes.io/managed-by%3Dkubectl-mem"


@pytest.fixture(scope="module")
def namespaces(world: World) -> World:
    world.cp.create_namespace(PRIVILEGED, {PSA: "privileged"})
    world.cp.create_namespace(BASELINE, {PSA: "baseline"})
    return world


def _collector_pods(world: World, namespace: str) -> list[dict[str, Any]]:
    status, _, body = world.cp.request("GET", f"/api/v1/namespaces/{namespace}/pods?labelSelector={MANAGED}")
    assert status == 200
    return json.loads(body)["items"]


class _Recorder:
    """Every collector pod the server held while a command ran, as the server stored it."""

    def __init__(self, world: World, namespace: str) -> None:
        self.world, self.namespace = world, namespace
        self.seen: dict[str, dict[str, Any]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.wait(0.1):
            for pod in _collector_pods(self.world, self.namespace):
                self.seen.setdefault(pod["metadata"]["name"], pod)

    def __enter__(self) -> _Recorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.fixture
def recorder(namespaces: World) -> Iterator[_Recorder]:
    with _Recorder(namespaces, PRIVILEGED) as rec:
        yield rec
    assert _collector_pods(namespaces, PRIVILEGED) == []


def test_admitted_pending_without_kubelet_then_deleted(namespaces: World, recorder: _Recorder) -> None:
    r = mem(
        namespaces.real_kubeconfig(),
        *("cgroups", "node/node-1", "--collector-namespace", PRIVILEGED, "--pending-timeout", "3"),
    )
    assert r.returncode == 1
    assert r.stderr == 'error: the collector pod on node "node-1" stayed Pending for more than 3s\n'
    assert len(recorder.seen) == 1
    (name, pod) = next(iter(recorder.seen.items()))
    assert name.startswith("kubectl-mem-cgroups-")
    spec, status = pod["spec"], pod["status"]
    assert spec["nodeName"] == "node-1" and status["phase"] == "Pending"
    assert status["qosClass"] == "Guaranteed"  # requests equal limits: the server's own QoS rule
    assert spec["volumes"] == [{"name": "cg", "hostPath": {"path": "/sys/fs/cgroup", "type": "Directory"}}]
    assert spec["automountServiceAccountToken"] is False  # so ServiceAccount admission added no token
    assert spec["securityContext"]["runAsUser"] == 65534
    (c,) = spec["containers"]
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["volumeMounts"] == [{"name": "cg", "mountPath": "/host/sys/fs/cgroup", "readOnly": True}]
    assert c["terminationMessagePath"] == "/dev/termination-log"  # defaulted by the server
    assert spec["priority"] == 0 or spec.get("priorityClassName") == "default-priority"
    gone, _, _ = namespaces.cp.request("GET", f"/api/v1/namespaces/{PRIVILEGED}/pods/{name}")
    assert gone == 404


def test_pod_security_baseline_refuses_it_in_one_line(namespaces: World) -> None:
    with _Recorder(namespaces, BASELINE) as rec:
        r = mem(namespaces.real_kubeconfig(), "cgroups", "node/node-1", "--collector-namespace", BASELINE)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith(
        f'error: namespace "{BASELINE}" rejects the collector pod: Pod Security level "baseline" forbids '
        'its hostPath volume; it needs level "privileged"'
    )
    assert rec.seen == {} and _collector_pods(namespaces, BASELINE) == []


def test_top_with_cgroups_shows_the_pods_and_warns_per_node(namespaces: World, recorder: _Recorder) -> None:
    ns = LIMITED_NAMESPACES[1]
    r = mem(
        namespaces.real_kubeconfig(namespace=ns),
        *("top", "-o", "json", "--cgroups", "--collector-namespace", PRIVILEGED, "--pending-timeout", "2"),
    )
    assert r.returncode == 3, r.stderr
    doc = json.loads(r.stdout)
    nodes = {p["node"] for p in doc["items"] if p["node"]}
    assert doc["items"] and len(nodes) >= 2
    lines = r.stderr.splitlines()
    for node in nodes:
        assert (
            f'warning: cgroups of node {node} not collected: the collector pod on node "{node}" stayed '
            "Pending for more than 2s"
        ) in lines
    assert {p["spec"]["nodeName"] for p in recorder.seen.values()} == nodes


def test_without_rights_to_create_pods_it_says_which(namespaces: World) -> None:
    """The readonly role creates no pods; its nodes/proxy rule is cluster-wide, so a user bound in two
    namespaces has no Summary API fallback either: one error line, the same on the simulated cluster."""
    ns = LIMITED_NAMESPACES[0]
    real = mem(namespaces.real_kubeconfig("limited", ns), "cgroups", "node/node-1")
    sim = mem(namespaces.sim_kubeconfig("limited", ns), "cgroups", "node/node-1")
    assert (real.returncode, real.stderr) == (sim.returncode, sim.stderr)
    assert real.returncode == 1 and real.stdout == ""
    # nothing can be shown: one error line with both reasons, no word of a fallback used; the
    # collector's default namespace, not the user's
    assert real.stderr.splitlines() == [
        'error: not allowed to create pods in namespace "kubectl-mem" (RBAC: needs create, get, list and '
        "delete pods and get pods/log); no Summary API fallback either: it needs get nodes/proxy"
    ]
    assert _collector_pods(namespaces, "kubectl-mem") == [] and _collector_pods(namespaces, ns) == []
